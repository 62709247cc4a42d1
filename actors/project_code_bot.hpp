/// @file
/// @brief The project actor's hosted code bot (`{"kind": "code"}`, docs/bot-contract.md): what
/// its process is given (its database as the project's own role, the project's secrets, its
/// id), and keeping the bot runner's process the current version's.
#pragma once

#include "actors/bot_runner.hpp"
#include "actors/project_actor.hpp"

#include <pqxx/transaction_base>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace paige::actors {

using project_self = caf::stateful_actor<project_state>*;

/// The launch of `code` for the project: its content key and its environment, from the
/// project's secrets (name → sealed value, the bot secret among them).
bot_launch hosted_launch(const project_state& st, std::shared_ptr<const bot::code_files> code,
                         const std::map<std::string, std::string>& sealed_secrets);

/// Gives the project a live API key for its hosted bot (PAIGE_API_KEY among its secrets, its
/// hash among its keys): a new one when it has none, or its key was revoked.
void ensure_bot_api_key(pqxx::transaction_base& tx, const std::string& project_id,
                        const secrets::master_key& master);

/// Sends a declarative bot's request (`http` action) through the bot caller, with the values
/// of the project secrets its headers name: its answer, or why none came.
caf::result<bot_reply> send_bot_request(project_self self, bot::fetch_request r);

/// The error a failed deploy answers: bot_deploy_running, or bot_deploy_failed with its stage
/// and output in the details.
caf::error deploy_error(const bot_deployed& deployed);

/// Reads the project's secrets (its bot's API key made first if it has none) and runs `then`
/// with the launch of `code`; `failed` with why they could not be read.
void with_hosted_launch(project_self self, std::shared_ptr<const bot::code_files> code,
                        std::function<void(bot_launch)> then,
                        std::function<void(const caf::error&)> failed);

/// Makes the bot runner run the current bot if it is hosted (reading the project's secrets
/// first), or stop the project's process if it is not.
void host_bot(project_self self);

}  // namespace paige::actors
