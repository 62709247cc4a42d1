/// @file
/// @brief A declarative bot's queries and requests as a step (live or previewed) runs them:
/// the query's job for the bot query pool, and what each outcome gives the step.
#pragma once

#include "actors/bot_caller.hpp"
#include "actors/core/bot_interpreter.hpp"
#include "actors/db_pool.hpp"
#include "actors/project_types.hpp"
#include "storage/database_requests.hpp"

#include <caf/fwd.hpp>

#include <chrono>

namespace paige::storage {
class backend_watchdog;
}

namespace paige::actors {

/// The job that runs `fetch` (a query) read only as the project's role, within its timeout (a
/// function that outlives it is ended by `watchdog`); it answers a storage::database_outcome.
db_job bot_query_job(const bot::fetch_request& fetch, storage::backend_watchdog* watchdog);

/// How long to wait for the bot query pool's answer to `fetch` (a query): the pool answers
/// every job (one that waited past bot_query_wait as failed); this only covers a worker that
/// hangs past the statement's timeout and the watchdog's.
std::chrono::milliseconds bot_query_deadline(const bot::fetch_request& fetch);

/// How long to wait for the project actor's answer to `fetch` (a request): its time box, and
/// the read of the secrets its headers name.
std::chrono::milliseconds bot_request_deadline(const bot::fetch_request& fetch);

/// What a query's run gave: its rows, or why it failed (the database's reason: for the message's
/// record and the project's events, never for Paige's log).
bot::fetch_result query_rows(storage::database_outcome& outcome);

/// A query that did not run: the database's SQLSTATE, or why.
bot::fetch_result query_failed(const caf::error& err);

/// What a request's answer gave: the answer, or why none came (or why it is refused: too
/// large).
bot::fetch_result request_answer(const bot_reply& reply);

}  // namespace paige::actors
