#include "actors/conversation_actor.hpp"

#include "actors/bot_caller.hpp"
#include "actors/bot_fetches.hpp"
#include "actors/core/code_bot_contract.hpp"
#include "actors/core/conversation_phases.hpp"
#include "actors/core/flow_exchange.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/event_hub.hpp"
#include "actors/flow_shelf.hpp"
#include "actors/persistence.hpp"
#include "actors/project_types.hpp"
#include "actors/template_shelf.hpp"
#include "common/json_text.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "common/secrets.hpp"
#include "storage/conversation_changes.hpp"
#include "storage/conversation_queries.hpp"
#include "storage/project_schema.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <functional>
#include <list>
#include <vector>

namespace paige::actors {
namespace {

using json = nlohmann::json;
using retry_atom = caf::atom_constant<caf::atom("retry")>;

/// Requests to the persistence worker carry no CAF timeout: the worker answers every request,
/// and a timeout would let the conversation move on while its write may still commit
/// (docs/decisions/0003).
const caf::duration until_answered{caf::infinite};

/// The next thing the conversation does, in order: the bot step of a stored inbound
/// message, an operator's outbound message, or a change to a conversation.
struct pending_step {
  enum class kind { bot, operator_send, change_state, close, expire, opt_out } what = kind::bot;
  std::int64_t message_id = 0;
  std::string wamid;
  std::string content_json;
  bot_ptr bot;
  bool without_effects =
      false;            ///< its step could not run or commit: mark it handled, nothing else
  std::string skipped;  ///< why it is handled without effects (a snake_case code), for the event
  std::string skipped_detail;  ///< the same for humans
  double message_time = 0;     ///< when the user wrote it (the window of the bot's replies)
  /// A code bot's answer (or the fallback when it failed), or a declarative step that ran its
  /// queries, once it came: a step that could not commit runs again from it, without posting
  /// the event or running the queries again.
  std::shared_ptr<const bot::step_result> answer;
  std::vector<bot::fetch_result> fetched;  ///< what the step's queries gave so far, in order
  caf::response_promise promise;           ///< operator_send and changes: who asked
  // Changes (change_state, close, expire):
  std::int64_t target = 0;  ///< the conversation changed
  std::string new_state;
  std::string who;  ///< for logs and events
  std::int64_t idle_seconds = 0;
  bool opted_out = false;  ///< opt_out: out (true) or in again; its target is the contact

  bool is_change() const {
    return what == kind::change_state || what == kind::close || what == kind::expire ||
           what == kind::opt_out;
  }
};

/// An inbound message waiting for the conversation to be opened.
struct waiting_inbound {
  inbound_message msg;
  bot_ptr bot;
  bool paused = false;
  caf::response_promise promise;
};

/// Where a conversation opened under `bot` starts (a project without a bot: "unstructured").
std::string initial_state_of(const bot_ptr& bot) {
  return bot ? bot->initial_state : std::string{"unstructured"};
}

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct conversation_state {
  static constexpr const char* name = "conversation";
  std::shared_ptr<const conversation_context> ctx;
  std::string wa_id;
  std::string contact_name;
  std::int64_t contact_id = 0;
  std::string state;
  json vars;  ///< null while empty (an empty JSON object is a heap allocation per conversation)
  double last_inbound = 0;  ///< Unix seconds of the contact's last message (0: never)
  /// The contact asked for no marketing: from its row when the conversation opened, then from
  /// the steps and operators' orders that changed it since (all in turn, so never stale).
  bool opted_out = false;
  bot_ptr bot;  ///< the latest bot seen: its initial state is where a reopened conversation starts
  /// Where the conversation and the front step are (the open conversation's id among it).
  conversation_phases phases;
  /// Work that waits for the conversation to be open: called with null once it is, or with
  /// the error that kept it closed.
  // (vector and list: an empty std::deque allocates ~600 bytes, and most conversations idle)
  std::vector<std::function<void(const caf::error*)>> waiting;
  std::list<pending_step> steps;

  std::int64_t conversation_id() const { return phases.conversation_id(); }
  bool busy() const { return !phases.settled() || !steps.empty() || !waiting.empty(); }
};

using self_ptr = caf::stateful_actor<conversation_state>*;

void pump_steps(self_ptr self);
void commit_step(self_ptr self);
void store(self_ptr self, waiting_inbound w);
void store_first(self_ptr self, waiting_inbound w);
void send_first(self_ptr self, waiting_inbound w);
void store_with_step(self_ptr self, storage::inbound_row row, caf::response_promise promise);
void open(self_ptr self, const std::string& name, const std::string& initial_state);

/// Runs `then` once the conversation is open (at once if it is), opening it if needed.
void when_open(self_ptr self, const std::string& name, const std::string& initial_state,
               std::function<void(const caf::error*)> then) {
  auto& st = self->state;
  if (st.phases.is_open()) return then(nullptr);
  st.waiting.push_back(std::move(then));
  if (st.phases.conversation() == conversation_phase::none) open(self, name, initial_state);
}

void publish(self_ptr self, const char* type, std::int64_t conversation_id,
             const std::string& data) {
  const auto& events = self->state.ctx->events;
  if (events) self->send(events, publish_atom::value, std::string{type}, conversation_id, data);
}

/// The start of an event's JSON: {"type": ..., "conversation_id": ...  (the caller closes it).
std::string event_head(const char* type, std::int64_t conversation_id) {
  return std::string{"{\"type\":\""} + type +
         "\",\"conversation_id\":" + std::to_string(conversation_id);
}

void publish_closed(self_ptr self, std::int64_t conversation_id, const std::string& by) {
  if (auto* m = self->state.ctx->metrics) {
    const char* reason = by == "bot" ? "bot" : by == "timeout" ? "timeout" : "operator";
    m->counters("paige_conversations_closed_total", "conversations closed, by whom", {"by"})
        .with({reason})
        .inc();
  }
  publish(self, "conversation.closed", conversation_id,
          event_head("conversation.closed", conversation_id) + ",\"by\":" + json(by).dump() + "}");
}

/// Publishes a stored inbound message.
void publish_received(self_ptr self, std::int64_t conversation_id, std::int64_t id,
                      const std::string& wamid, const std::string& type,
                      const std::string& content_json) {
  publish(self, "message.received", conversation_id,
          event_head("message.received", conversation_id) +
              ",\"message\":{\"id\":" + std::to_string(id) + ",\"wamid\":" + json(wamid).dump() +
              ",\"direction\":\"in\",\"type\":" + json(type).dump() +
              ",\"content\":" + content_json + "}}");
}

void publish_queued(self_ptr self, std::int64_t conversation_id, std::int64_t message_id,
                    const std::string& type, const std::string& content_json, const char* source) {
  publish(self, "message.queued", conversation_id,
          event_head("message.queued", conversation_id) + ",\"message\":{\"id\":" +
              std::to_string(message_id) + ",\"direction\":\"out\",\"type\":" + json(type).dump() +
              ",\"content\":" + content_json + ",\"status\":\"queued\",\"source\":\"" + source +
              "\"}}");
}

/// A close of the open conversation committed (`closed`) or failed: new inbound messages
/// held back meanwhile go on, into a new conversation if it closed.
void finish_closing(self_ptr self, bool closed) {
  auto& st = self->state;
  st.phases.close_settled(closed);
  if (st.waiting.empty()) return;
  if (!st.phases.is_open()) return open(self, "", initial_state_of(st.bot));
  auto waiting = std::move(st.waiting);
  for (auto& w : waiting) w(nullptr);
}

/// Messages held back behind a message stored with its step go on (if the conversation is
/// open: otherwise reopening it resumes them).
void resume_waiting(self_ptr self) {
  auto& st = self->state;
  if (st.waiting.empty() || !st.phases.is_open() || st.phases.front() == front_phase::exchanging)
    return;
  auto waiting = std::move(st.waiting);
  for (auto& w : waiting) w(nullptr);
}

/// Takes the contact's open conversation as the database returned it (publishing it if it
/// was opened just now); the phases took its id.
void adopt(self_ptr self, const storage::conversation_row& row) {
  auto& st = self->state;
  st.contact_id = row.contact_id;
  st.contact_name = row.contact_name;
  st.state = row.state;
  // The project's SQL may write anything into its conversations: what no bot could have
  // written (a state name past its bound, variables past theirs) is not taken into memory.
  if (st.state.size() > bot::max_state_name) st.state.clear();  // the bot's initial state runs
  bool vars_fit = row.vars_json.size() <= bot::max_vars_bytes &&
                  !json_text::nested_deeper_than(row.vars_json, bot::max_vars_depth);
  if (!vars_fit)
    log::warn("conversation.vars_ignored",
              {{"project", st.ctx->project_id}, {"bytes", row.vars_json.size()}});
  st.vars = vars_fit ? json::parse(row.vars_json, nullptr, false) : json();
  if (!st.vars.is_object() || st.vars.empty()) st.vars = json();
  st.last_inbound = std::max(st.last_inbound, row.last_inbound_epoch);
  st.opted_out = row.opted_out;
  if (row.opened)
    publish(self, "conversation.opened", row.conversation_id,
            event_head("conversation.opened", row.conversation_id) +
                ",\"conversation\":{\"id\":" + std::to_string(row.conversation_id) +
                ",\"contact\":{\"id\":" + std::to_string(row.contact_id) + ",\"wa_id\":" +
                json(st.wa_id).dump() + ",\"name\":" + json(row.contact_name).dump() +
                "},\"state\":" + json(row.state).dump() + ",\"status\":\"open\"}}");
}

void open(self_ptr self, const std::string& name, const std::string& initial_state) {
  auto& st = self->state;
  st.phases.open_requested();
  self->request(st.ctx->persistence, until_answered, open_atom::value, st.ctx->project_id, st.wa_id,
                name, initial_state)
      .then(
          [self](storage::conversation_row& row) {
            auto& st = self->state;
            st.phases.opened(row.conversation_id);
            adopt(self, row);
            auto waiting = std::move(st.waiting);
            for (auto& w : waiting) w(nullptr);
            pump_steps(self);  // steps recovered after a crash wait for the open conversation
          },
          [self](caf::error& err) {
            // Nothing stored: every waiting sender gets the error (the webhook answers 503,
            // Meta redelivers).
            auto& st = self->state;
            st.phases.open_failed();
            auto waiting = std::move(st.waiting);
            for (auto& w : waiting) w(&err);
          });
}

double unix_seconds(const std::string& text) {
  try {
    return text.empty() ? 0 : std::stod(text);
  } catch (const std::exception&) {
    return 0;
  }
}

/// The bot step of inbound message `w`, to run once it is stored or together with it.
pending_step step_of(const waiting_inbound& w) {
  pending_step step;
  step.wamid = w.msg.wamid;
  step.content_json = w.msg.content_json;
  step.bot = w.bot;
  auto written = unix_seconds(w.msg.timestamp);
  step.message_time = written > 0 ? written : now_seconds();
  return step;
}

/// Inbound message `w` as stored in the open conversation (`handled`: no step will follow).
storage::inbound_row row_of(const conversation_state& st, const waiting_inbound& w, bool handled) {
  return {st.conversation_id(),          st.contact_id, w.msg.wamid, w.msg.type, w.msg.content_json,
          unix_seconds(w.msg.timestamp), handled};
}

/// Whether `w`, a message to a contact without an open conversation known here and with
/// nothing else in flight, can have its step run from the bot's initial state before the
/// conversation is opened, both stored in the commit that opens it (one commit on the way
/// to the reply instead of two). Not when the bot reads the conversation's id.
bool can_store_first(const conversation_state& st, const waiting_inbound& w) {
  return w.bot && !w.paused && !w.bot->reads_conversation_id && !w.bot->waits_outside() &&
         st.phases.conversation() == conversation_phase::none && !st.busy();
}

void store(self_ptr self, waiting_inbound w) {
  auto& st = self->state;
  if (w.bot) st.bot = w.bot;
  if (can_store_first(st, w)) return store_first(self, std::move(w));
  if (!st.phases.is_open()) {
    // The first message, or the bot closed the conversation: (re)open it first.
    auto name = w.msg.profile_name;
    auto initial = initial_state_of(w.bot);
    when_open(self, name, initial, [self, w](const caf::error* err) mutable {
      if (err)
        w.promise.deliver(*err);
      else
        store(self, std::move(w));
    });
    return;
  }
  if (st.phases.front() == front_phase::exchanging) {
    // The message before is being stored with its step: this one waits, so messages commit
    // in the order they came.
    st.waiting.push_back([self, w](const caf::error* err) mutable {
      if (err)
        w.promise.deliver(*err);
      else
        store(self, std::move(w));
    });
    return;
  }
  bool run_bot = w.bot && !w.paused;
  auto row = row_of(st, w, !run_bot);
  if (!w.msg.profile_name.empty()) st.contact_name = w.msg.profile_name;
  auto promise = w.promise;
  auto step = step_of(w);
  auto conversation_id = st.conversation_id();
  auto type = w.msg.type;
  if (run_bot && !w.bot->waits_outside() && st.steps.empty() &&
      st.phases.front() == front_phase::idle && st.phases.storing() == 0) {
    // Nothing before it still to store or to step: run its step now and store both in one
    // transaction (one commit on the way to the reply instead of two).
    st.steps.push_back(std::move(step));
    st.phases.exchange_started();
    return store_with_step(self, std::move(row), promise);
  }
  st.phases.store_started();
  self->request(st.ctx->persistence, until_answered, inbound_atom::value, st.ctx->project_id,
                std::move(row))
      .then(
          [self, promise, step, run_bot, conversation_id, type](std::int64_t id) mutable {
            self->state.phases.store_finished();
            promise.deliver(caf::ok_atom::value);  // committed (or known as a duplicate)
            if (id > 0)
              publish_received(self, conversation_id, id, step.wamid, type, step.content_json);
            self->state.last_inbound = std::max(self->state.last_inbound, step.message_time);
            if (id > 0 && run_bot) {
              step.message_id = id;
              self->state.steps.push_back(std::move(step));
              pump_steps(self);
            }
          },
          [self, promise](caf::error& err) mutable {
            self->state.phases.store_finished();
            promise.deliver(err);
          });
}

storage::step_row to_row(const conversation_state& st, const pending_step& p,
                         const bot::step_result& r) {
  storage::step_row row{
      p.message_id, st.conversation_id(), st.contact_id, r.state, r.vars.dump(), r.close, {}};
  for (const auto& m : r.sends) row.outbound.emplace_back(m.value("type", ""), m.dump());
  return row;
}

void count_outside_window(const conversation_state& st, const char* source) {
  if (st.ctx->metrics)
    st.ctx->metrics
        ->counters("paige_outbound_outside_window_total",
                   "free-form messages refused outside the 24-hour customer-service window",
                   {"source"})
        .with({source})
        .inc();
}

/// The front step is done (committed, refused or failed): it leaves the queue and the next one
/// may start. Every step ends here; the caller answers its promise and pumps.
pending_step finish_front(self_ptr self) {
  auto& st = self->state;
  auto done = std::move(st.steps.front());
  st.steps.pop_front();
  st.phases.step_finished();
  return done;
}

/// The front step failed with `err`: whoever asked for it gets the error, the next goes on.
void fail_front(self_ptr self, const caf::error& err) {
  auto done = finish_front(self);
  if (done.promise.pending()) done.promise.deliver(err);
  pump_steps(self);
}

caf::error outside_window_error() {
  return make_error(errc::invalid_argument,
                    "the contact's last message is more than 24 hours old (or there is none): "
                    "only a template can be sent now",
                    api_code::outside_service_window);
}

/// Why a template send is refused (templates::judge_send), or none (the project's templates
/// not read yet: Meta judges then).
bool is_template(const json& message) {
  auto type = message.find("type");
  return type != message.end() && type->is_string() &&
         type->get_ref<const std::string&>() == "template";
}

std::optional<caf::error> template_refusal(const conversation_state& st, const json& message) {
  if (!st.ctx->templates || !is_template(message)) return std::nullopt;
  auto book = st.ctx->templates->get();
  if (!book) return std::nullopt;
  auto v = templates::judge_send(*book, message);
  switch (v.what) {
    case templates::send_verdict::kind::ok:
      return std::nullopt;
    case templates::send_verdict::kind::not_found:
      return make_error(errc::not_found, v.message, api_code::template_not_found);
    case templates::send_verdict::kind::not_approved:
      return make_error(errc::conflict, v.message, api_code::template_not_approved);
    case templates::send_verdict::kind::invalid:
      return make_error(errc::invalid_argument,
                        v.problems.front().pointer + ": " + v.problems.front().message,
                        api_code::invalid_template_parameters);
  }
  return std::nullopt;
}

/// The stored template a template send names (null: not a template, or not known yet).
const json* stored_template(const templates::book& book, const json& message) {
  if (!is_template(message)) return nullptr;
  const auto& t = member_of(message, "template");
  const auto& name = member_of(t, "name");
  const auto& code = member_of(member_of(t, "language"), "code");
  if (!name.is_string() || !code.is_string()) return nullptr;
  return book.find(name.get<std::string>(), code.get<std::string>());
}

/// Whether `message` is a template the project has as MARKETING (none known: not).
bool is_marketing(const conversation_state& st, const json& message) {
  if (!st.ctx->templates || !is_template(message)) return false;
  auto book = st.ctx->templates->get();
  const auto* stored = book ? stored_template(*book, message) : nullptr;
  return stored && member_of(*stored, "category") == "MARKETING";
}

/// Whether the contact is opted out once `result` is applied (a step may opt it out or in).
bool opted_out_after(const conversation_state& st, const bot::step_result& result) {
  bool out = st.opted_out;
  for (const auto& save : result.saves)
    if (save.what == bot::save_op::kind::opt_out && save.wa_id == st.wa_id) out = save.opted_out;
  return out;
}

caf::error opted_out_error() {
  return make_error(errc::conflict, "the contact opted out of marketing messages",
                    api_code::contact_opted_out);
}

void count_template_send(const conversation_state& st, const json& message) {
  if (!st.ctx->metrics || !is_template(message)) return;
  const auto& t = message.value("template", json::object());
  st.ctx->metrics
      ->counters("paige_template_sends_total", "template messages queued, by template",
                 {"template"})
      .with({t.is_object() ? t.value("name", std::string{}) : std::string{}})
      .inc();
}

/// A flow send resolved for Meta (flows::prepare_send, with a token of its own), or why not; a
/// template's flow buttons get their tokens (flows::prepare_template_flows).
flows::prepared_send prepare_flow_send(const conversation_state& st, json message) {
  if (!st.ctx->flows) return {std::move(message), {}, false};
  if (is_template(message)) {
    auto book = st.ctx->templates ? st.ctx->templates->get() : templates::book_ptr{};
    const auto* stored = book ? stored_template(*book, message) : nullptr;
    if (stored && flows::has_flow_button(*stored))
      message = flows::prepare_template_flows(*st.ctx->flows->get(), *stored, std::move(message),
                                              secrets::random_hex(16));
    return {std::move(message), {}, false};
  }
  if (!flows::is_flow_send(message)) return {std::move(message), {}, false};
  return flows::prepare_send(*st.ctx->flows->get(), std::move(message), secrets::random_hex(16));
}

/// A bot's flow sends resolved; those naming a flow Meta would not send are not queued.
void prepare_flow_sends(const conversation_state& st, std::vector<json>& sends) {
  std::vector<json> ready;
  for (auto& m : sends) {
    auto prepared = prepare_flow_send(st, std::move(m));
    if (!prepared.refusal) {
      ready.push_back(std::move(prepared.message));
      continue;
    }
    log::warn("bot.flow_refused",
              {{"project", st.ctx->project_id}, {"reason", prepared.refusal->message}});
    if (st.ctx->metrics)
      st.ctx->metrics
          ->counters("paige_flow_sends_refused_total",
                     "flow sends refused before they were queued, by source", {"source"})
          .with({"bot"})
          .inc();
  }
  sends = std::move(ready);
}

/// Queues an operator's message, answers the operator, hands it to the Meta sync supervisor.
void run_operator_send(self_ptr self) {
  auto& st = self->state;
  auto& p = st.steps.front();
  auto content = json::parse(p.content_json, nullptr, false);
  auto type = content.value("type", "");
  if (!within_service_window(type, st.last_inbound, now_seconds())) {
    count_outside_window(st, "api");
    return fail_front(self, outside_window_error());
  }
  if (auto refused = template_refusal(st, content)) return fail_front(self, *refused);
  if (flows::is_flow_send(content) || is_template(content)) {
    auto prepared = prepare_flow_send(st, std::move(content));
    if (prepared.refusal)
      return fail_front(
          self,
          prepared.not_found
              ? make_error(errc::not_found, prepared.refusal->message, api_code::flow_not_found)
              : make_error(errc::conflict, prepared.refusal->message, api_code::flow_state));
    content = std::move(prepared.message);
    p.content_json = content.dump();
  }
  // A marketing template is not sent to a contact who opted out (checked where it is queued).
  bool marketing = is_marketing(st, content);
  std::vector<storage::flow_token_row> tokens;
  for (auto& [token, name] : flows::tokens_of(content)) tokens.push_back({token, name, st.wa_id});
  tx_job job = [conv = st.conversation_id(), contact = st.contact_id, type, marketing,
                body = p.content_json, tokens = std::move(tokens)](pqxx::transaction_base& tx) {
    if (marketing && storage::contact_opted_out(tx, contact))
      return caf::make_message(storage::queued_message{});
    storage::record_flow_tokens(tx, tokens);
    return caf::make_message(storage::queue_outbound(tx, conv, contact, type, body));
  };
  self->request(st.ctx->persistence, until_answered, run_atom::value, st.ctx->project_id,
                std::move(job))
      .then(
          [self, type](storage::queued_message& q) {
            auto& st = self->state;
            if (q.id == 0) return fail_front(self, opted_out_error());
            count_template_send(st, json::parse(st.steps.front().content_json, nullptr, false));
            auto p = finish_front(self);
            p.promise.deliver(outbound_view{q.id, type, p.content_json, q.created_at});
            publish_queued(self, st.conversation_id(), q.id, type, p.content_json, "operator");
            self->send(st.ctx->meta_sync, send_atom::value, st.ctx->project_id, st.wa_id,
                       std::vector<outbound_item>{{q.id, p.content_json}});
            pump_steps(self);
          },
          [self](caf::error& err) { fail_front(self, err); });
}

/// An operator's opt-out (or opt-in) of the contact, in turn with the steps: each step after
/// it knows of it.
void run_opt_out(self_ptr self) {
  auto& st = self->state;
  const auto& p = st.steps.front();
  tx_job job = [contact = p.target, out = p.opted_out](pqxx::transaction_base& tx) {
    if (!storage::set_contact_opt_out(tx, contact, out)) return caf::make_message(std::string{});
    return caf::make_message(storage::get_contact(tx, contact).value_or(""));
  };
  self->request(st.ctx->persistence, until_answered, run_atom::value, st.ctx->project_id,
                std::move(job))
      .then(
          [self](std::string& contact) {
            auto& st = self->state;
            auto done = finish_front(self);
            if (contact.empty()) {
              done.promise.deliver(make_error(errc::not_found,
                                              "no contact " + std::to_string(done.target),
                                              api_code::contact_not_found));
            } else {
              st.opted_out = done.opted_out;
              done.promise.deliver(std::move(contact));
            }
            pump_steps(self);
          },
          [self](caf::error& err) { fail_front(self, err); });
}

/// Applies an operator's (or the timeout's) change to a conversation, in turn with the steps.
void run_change(self_ptr self) {
  auto& st = self->state;
  const auto& p = st.steps.front();
  if (p.what == pending_step::kind::opt_out) return run_opt_out(self);
  bool ours = p.target == st.conversation_id() && st.conversation_id() != 0;
  bool closes = p.what != pending_step::kind::change_state;
  if (closes && ours) st.phases.close_requested();
  tx_job job = [what = p.what, id = p.target, state = p.new_state,
                idle = p.idle_seconds](pqxx::transaction_base& tx) {
    bool changed = false;
    std::string previous;
    if (what == pending_step::kind::change_state) {
      auto old = storage::set_conversation_state(tx, id, state);
      changed = old.has_value();
      previous = old.value_or("");
    } else {
      changed = storage::close_conversation(
          tx, id,
          what == pending_step::kind::expire ? std::optional<std::int64_t>{idle} : std::nullopt);
    }
    return caf::make_message(changed, previous, storage::get_conversation(tx, id).value_or(""));
  };
  auto settle = [self, closes, ours](bool closed) {
    finish_front(self);
    if (closes && ours) finish_closing(self, closed);
    pump_steps(self);
  };
  self->request(st.ctx->persistence, until_answered, run_atom::value, st.ctx->project_id,
                std::move(job))
      .then(
          [self, settle, ours](bool changed, std::string& previous, std::string& conversation) {
            auto& st = self->state;
            auto& p = st.steps.front();
            auto project = st.ctx->project_id;
            if (p.what == pending_step::kind::change_state) {
              if (changed) {
                if (ours) st.state = p.new_state;
                log::info("conversation.state_changed", {{"project", project},
                                                         {"conversation", p.target},
                                                         {"from", previous},
                                                         {"to", p.new_state},
                                                         {"by", p.who}});
                publish(self, "conversation.state_changed", p.target,
                        event_head("conversation.state_changed", p.target) + ",\"from\":" +
                            json(previous).dump() + ",\"to\":" + json(p.new_state).dump() +
                            ",\"by\":" + json(p.who).dump() + "}");
                p.promise.deliver(std::move(conversation));
              } else {
                p.promise.deliver(make_error(
                    errc::conflict, "conversation " + std::to_string(p.target) + " is closed",
                    api_code::conversation_closed));
              }
            } else {
              if (changed) {
                log::info("conversation.closed",
                          {{"project", project}, {"conversation", p.target}, {"by", p.who}});
                publish_closed(self, p.target, p.who);
              }
              if (p.promise.pending()) {
                if (conversation.empty())
                  p.promise.deliver(make_error(errc::not_found,
                                               "no conversation " + std::to_string(p.target),
                                               api_code::conversation_not_found));
                else
                  p.promise.deliver(std::move(conversation));
              }
            }
            settle(changed);
          },
          [self, settle](caf::error& err) {
            auto& p = self->state.steps.front();
            if (p.promise.pending()) p.promise.deliver(err);
            settle(false);
          });
}

/// Marks `p` to be handled without effects, for `code`.
void skip_step(pending_step& p, std::string code, std::string detail) {
  p.without_effects = true;
  p.skipped = std::move(code);
  p.skipped_detail = std::move(detail);
}

/// Whether a step's commit failed for what it wrote (an SQL error, or anything but an outage
/// or a timeout): retrying the same writes would fail again, forever.
bool writes_rejected(const caf::error& err) {
  // Paige's own errors only: CAF's (a worker that died, say) are outages, asked again.
  return err.category() == error_category &&
         (code_of(err) == errc::db_error || code_of(err) == errc::internal);
}

/// The error a failed write reports, as a skip's detail: the database's SQLSTATE only, since
/// its message may quote the project's own values (they stay out of Paige's log).
std::string failed_write(const caf::error& err) {
  auto state = sqlstate_of(err);
  return state.empty() ? std::string{"the step's writes failed"}
                       : "the step's writes failed (SQLSTATE " + state + ")";
}

/// A step handled without effects committed: tell the project's subscribers and metrics, and
/// record why on the message (`error`), so the API shows it.
void report_skipped(self_ptr self, std::int64_t conversation_id, std::int64_t message_id,
                    const std::string& code, const std::string& detail) {
  auto& st = self->state;
  log::warn("bot.step_skipped",
            {{"project", st.ctx->project_id}, {"message", message_id}, {"reason", code}});
  if (auto* m = st.ctx->metrics)
    m->counters("paige_bot_steps_skipped_total", "inbound messages handled without their bot step",
                {"reason"})
        .with({code})
        .inc();
  auto error = json{{"code", code}, {"message", detail}}.dump();
  publish(self, "message.skipped", conversation_id,
          event_head("message.skipped", conversation_id) +
              ",\"message_id\":" + std::to_string(message_id) + ",\"error\":" + error + "}");
  if (message_id == 0) return;
  tx_job mark = [message_id, error](pqxx::transaction_base& tx) {
    storage::mark_skipped(tx, message_id, error);
    return caf::make_message(caf::ok_atom::value);
  };
  self->request(st.ctx->persistence, until_answered, run_atom::value, st.ctx->project_id,
                std::move(mark))
      .then([](caf::ok_atom) {},
            [self, message_id](caf::error& err) {
              log::warn("bot.skip_unrecorded", {{"project", self->state.ctx->project_id},
                                                {"message", message_id},
                                                {"reason", to_string(code_of(err))}});
            });
}

/// Runs the bot on the step at the front (or, without effects, keeps state and vars);
/// replies the 24-hour window no longer allows are dropped. Marks the conversation closing
/// when the step closes it. A step that throws marks `p` skipped and has no effects.
bot::step_result compute_step(self_ptr self, pending_step& p) {
  auto& st = self->state;
  bot::step_result result;
  bot::conversation_view view{st.wa_id, st.contact_name, std::to_string(st.conversation_id()),
                              st.state, st.vars};
  auto msg = view_of(p.wamid, json::parse(p.content_json, nullptr, false));
  if (!p.without_effects && p.answer) {
    result = *p.answer;
  } else if (!p.without_effects) {
    try {
      result = bot::run_step(*p.bot, view, msg, p.fetched);
      if (result.fetch) throw std::logic_error("the step's queries did not all run");
      if (!result.matched)
        log::debug("bot.no_route", {{"project", st.ctx->project_id}, {"state", st.state}});
    } catch (const bot::step_refused& e) {
      skip_step(p, e.code, e.what());
    } catch (const std::exception& e) {
      // Whatever a step throws, its message is skipped, never retried: a message that fails
      // the same way at each redelivery must not hold the contact (or crash the actor).
      skip_step(p, "step_failed", e.what());
    }
  }
  if (p.without_effects) {
    result = bot::step_result{};
    result.state = st.state;
    result.vars = st.vars.is_object() ? st.vars : json::object();
  }
  // Replies to a message older than 24 hours (stored before a long outage) would be refused by
  // Meta: only templates go out then.
  auto window_start = p.message_time > 0 ? p.message_time : st.last_inbound;
  auto before = result.sends.size();
  result.sends.erase(std::remove_if(result.sends.begin(), result.sends.end(),
                                    [&](const json& m) {
                                      return !within_service_window(m.value("type", ""),
                                                                    window_start, now_seconds());
                                    }),
                     result.sends.end());
  if (result.sends.size() != before) {
    count_outside_window(st, "bot");
    log::warn("bot.outside_service_window",
              {{"project", st.ctx->project_id}, {"dropped", before - result.sends.size()}});
  }
  // A template the project does not have approved (or sent with parameters it does not take)
  // would be refused by Meta, and a marketing one is not for a contact who opted out (before,
  // or by this step): it is not queued.
  before = result.sends.size();
  bool opted_out = opted_out_after(st, result);
  result.sends.erase(std::remove_if(result.sends.begin(), result.sends.end(),
                                    [&](const json& m) {
                                      auto refused = template_refusal(st, m);
                                      if (!refused && opted_out && is_marketing(st, m))
                                        refused = opted_out_error();
                                      if (refused)
                                        log::warn("bot.template_refused",
                                                  {{"project", st.ctx->project_id},
                                                   {"reason", reason_of(*refused)}});
                                      return refused.has_value();
                                    }),
                     result.sends.end());
  if (result.sends.size() != before && st.ctx->metrics)
    st.ctx->metrics
        ->counters("paige_template_sends_refused_total",
                   "template sends refused before they were queued, by source", {"source"})
        .with({"bot"})
        .inc(static_cast<std::uint64_t>(before - result.sends.size()));
  for (const auto& m : result.sends) count_template_send(st, m);
  prepare_flow_sends(st, result.sends);
  // The flow tokens sent are recorded with the step: the endpoint knows them (flow_tokens).
  for (auto& save : flows::token_saves(result.sends, st.wa_id))
    result.saves.push_back(std::move(save));
  // A flow's answer is stored with the message that brings it (and as a row of the table the
  // flow maps it to), whatever the bot does with it.
  if (st.ctx->flows)
    for (auto& save : flows::answer_saves(*st.ctx->flows->get(), view, msg))
      result.saves.push_back(std::move(save));
  if (result.close) st.phases.close_requested();  // new messages wait until it committed
  return result;
}

/// The step at the front committed (or found its message handled before: not applied):
/// adopt its state, publish, hand its replies to the Meta sync supervisor, go on.
void settle_step(self_ptr self, const bot::step_result& result, storage::step_outcome& outcome) {
  auto& st = self->state;
  auto done = finish_front(self);
  auto conversation_id = st.conversation_id();
  if (outcome.applied && !done.skipped.empty())
    report_skipped(self, conversation_id, done.message_id, done.skipped, done.skipped_detail);
  if (outcome.applied) {
    if (result.state != st.state)
      publish(self, "conversation.state_changed", conversation_id,
              event_head("conversation.state_changed", conversation_id) +
                  ",\"from\":" + json(st.state).dump() + ",\"to\":" + json(result.state).dump() +
                  ",\"by\":\"bot\"}");
    st.state = result.state;
    st.vars = result.vars.empty() ? json() : result.vars;
    st.opted_out = opted_out_after(st, result);
    std::vector<outbound_item> items;
    for (std::size_t i = 0; i < outcome.outbound_ids.size() && i < result.sends.size(); ++i) {
      items.push_back({outcome.outbound_ids[i], result.sends[i].dump()});
      publish_queued(self, conversation_id, outcome.outbound_ids[i],
                     result.sends[i].value("type", ""), items.back().content_json, "bot");
    }
    if (!items.empty())
      self->send(st.ctx->meta_sync, send_atom::value, st.ctx->project_id, st.wa_id,
                 std::move(items));
    if (result.close) publish_closed(self, conversation_id, "bot");
  }
  if (result.close) finish_closing(self, outcome.applied);
  pump_steps(self);
}

/// The inbound message of the step at the front (of `type`, in `conversation_id`) committed
/// with that step (`id` 0: a duplicate, nothing stored): answer its sender, publish it,
/// settle the step, let the messages held back behind it go on.
void exchanged(self_ptr self, caf::response_promise& promise, std::int64_t conversation_id,
               std::int64_t id, const std::string& type, const bot::step_result& result,
               storage::step_outcome& outcome) {
  auto& st = self->state;
  promise.deliver(caf::ok_atom::value);  // committed (or known as a duplicate)
  auto& p = st.steps.front();
  p.message_id = id;
  if (id > 0) publish_received(self, conversation_id, id, p.wamid, type, p.content_json);
  st.last_inbound = std::max(st.last_inbound, p.message_time);
  st.phases.exchange_committed();
  settle_step(self, result, outcome);
  resume_waiting(self);
}

/// Stores the inbound message of the step at the front (in flight) together with that step.
/// If the step's writes fail (a save into a missing table...), the message is stored with the
/// step without effects rather than not at all; if nothing could be written, the webhook gets
/// the error and Meta redelivers.
void store_with_step(self_ptr self, storage::inbound_row row, caf::response_promise promise) {
  auto& st = self->state;
  auto result = compute_step(self, st.steps.front());
  auto step = to_row(st, st.steps.front(), result);
  auto conversation_id = st.conversation_id();
  auto type = row.type;
  auto retry_row = row;
  self->request(st.ctx->persistence, until_answered, exchange_atom::value, st.ctx->project_id,
                std::move(row), std::move(step), result.saves)
      .then(
          [self, promise, result, conversation_id, type](std::int64_t id,
                                                         storage::step_outcome& outcome) mutable {
            exchanged(self, promise, conversation_id, id, type, result, outcome);
          },
          [self, promise, close = result.close, retry_row](caf::error& err) mutable {
            auto& st = self->state;
            if (close) finish_closing(self, false);
            if (writes_rejected(err) && !st.steps.front().without_effects) {
              skip_step(st.steps.front(), "step_failed", failed_write(err));
              return store_with_step(self, std::move(retry_row), promise);
            }
            promise.deliver(err);
            fail_front(self, err);
            resume_waiting(self);
          });
}

/// Stores `w` (can_store_first) with its step run from the bot's initial state, opening the
/// conversation in the same commit.
void store_first(self_ptr self, waiting_inbound w) {
  auto& st = self->state;
  st.state = w.bot->initial_state;
  st.vars = json();
  if (!w.msg.profile_name.empty()) st.contact_name = w.msg.profile_name;
  st.steps.push_back(step_of(w));
  send_first(self, std::move(w));
}

/// Sends the first message at the front of the steps with its step. If the database had a
/// conversation open after all (the actor was passivated or restarted), or knows the contact
/// by another name than the step saw, only the open is committed and the message is stored
/// again, with its step run on the conversation found.
void send_first(self_ptr self, waiting_inbound w) {
  auto& st = self->state;
  st.phases.first_started();
  auto result = compute_step(self, st.steps.front());
  auto step = to_row(st, st.steps.front(), result);
  self->request(st.ctx->persistence, until_answered, first_atom::value, st.ctx->project_id,
                storage::open_row{st.wa_id, w.msg.profile_name, st.state}, st.contact_name,
                row_of(st, w, false), std::move(step), result.saves)
      .then(
          [self, w, result](storage::conversation_row& row, bool held, std::int64_t id,
                            storage::step_outcome& outcome) mutable {
            auto& st = self->state;
            st.phases.first_committed(row.conversation_id, held);
            adopt(self, row);
            if (!held) {
              // The step did not apply (nor a close it asked for): it runs again on the
              // conversation found.
              st.steps.pop_front();
              return store(self, std::move(w));
            }
            exchanged(self, w.promise, row.conversation_id, id, w.msg.type, result, outcome);
          },
          [self, w](caf::error& err) mutable {
            auto& st = self->state;
            st.phases.first_failed();
            if (writes_rejected(err) && !st.steps.front().without_effects) {
              skip_step(st.steps.front(), "step_failed", failed_write(err));
              return send_first(self, std::move(w));
            }
            // Nothing stored: the sender and everything waiting for the conversation get the
            // error (the webhooks answer 503, Meta redelivers).
            st.steps.pop_front();
            w.promise.deliver(err);
            auto waiting = std::move(st.waiting);
            for (auto& f : waiting) f(&err);
            pump_steps(self);
          });
}

/// The step a code bot's reply asks for; when the bot failed (no answer in time, a status
/// other than 200, an answer with a problem), the fallback's, and the front step records why.
bot::step_result read_reply(self_ptr self, const bot::conversation_view& view,
                            const bot_reply& reply) {
  auto& p = self->state.steps.front();
  const auto& system = storage::system_table_names();
  // Recorded as skipped when the bot failed, but not without effects: the fallback is sent.
  return bot::step_of_exchange({reply.status, reply.timed_out, reply.error, reply.body}, view,
                               *p.bot->code, {system.begin(), system.end()}, p.skipped,
                               p.skipped_detail);
}

/// Largest answer a bot log record shows whole (a larger one shows its size).
constexpr std::size_t logged_answer_bytes = 8 * 1024;

/// Records the front step's event in the project's bot log: what went in, what came back (or
/// why nothing usable did), and how long it took.
void log_bot_event(self_ptr self, const bot_reply& reply, std::chrono::nanoseconds took,
                   const bot::step_result& result) {
  auto& st = self->state;
  if (!st.ctx->bot_log) return;
  const auto& p = st.steps.front();
  json record{{"at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count()},
              {"message_id", p.message_id},
              {"conversation_id", st.conversation_id()},
              {"wa_id", st.wa_id},
              {"duration_ms", std::chrono::duration<double, std::milli>(took).count()},
              {"status", reply.status},
              {"state", result.state},
              {"sends", result.sends.size()}};
  if (reply.body.size() <= logged_answer_bytes) {
    auto answer = json::parse(reply.body, nullptr, false);
    if (!answer.is_discarded() && answer.is_object() && answer.contains("actions"))
      record["actions"] = answer["actions"];
  } else {
    record["answer_bytes"] = reply.body.size();
  }
  if (!p.skipped.empty()) record["error"] = {{"code", p.skipped}, {"message", p.skipped_detail}};
  caf::anon_send(st.ctx->bot_log, publish_atom::value, std::string{"bot.event"},
                 st.conversation_id(), record.dump(-1, ' ', false, json::error_handler_t::replace));
}

/// Posts the front step's message to its code bot (docs/bot-contract.md), one event in flight
/// per contact; its answer (or the fallback) then commits like a declarative bot's step.
void call_code_bot(self_ptr self) {
  auto& st = self->state;
  auto& p = st.steps.front();
  auto content = json::parse(p.content_json, nullptr, false);
  bot::conversation_view view{st.wa_id, st.contact_name, std::to_string(st.conversation_id()),
                              st.state, st.vars.is_object() ? st.vars : json::object()};
  bot::event_context event{st.ctx->project_id, p.message_id, st.opted_out, content};
  auto body = bot::event_body(event, view, view_of(p.wamid, content));
  const auto& target = p.bot->code;
  auto started = std::chrono::steady_clock::now();
  auto answered = [self, view, started](const bot_reply& reply) {
    auto& st = self->state;
    if (auto* m = st.ctx->metrics)
      m->histograms("paige_code_bot_event_seconds",
                    "events posted to code bots, from post to answer (or the time box)", {},
                    metrics::latency_buckets())
          .with({})
          .observe(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    auto result = read_reply(self, view, reply);
    log_bot_event(self, reply, std::chrono::steady_clock::now() - started, result);
    st.steps.front().answer = std::make_shared<const bot::step_result>(std::move(result));
    commit_step(self);
  };
  auto on_reply = [answered](bot_reply& reply) { answered(reply); };
  auto on_error = [self, answered](caf::error& err) {
    if (err != caf::sec::request_timeout) {
      // The bot caller is gone (the server is stopping): nothing is applied, and the
      // event is posted again later (or after the restart, as an unhandled message).
      self->state.phases.step_finished();
      self->delayed_send(self, std::chrono::seconds{1}, retry_atom::value, std::int64_t{0});
      return;
    }
    bot_reply failed;
    failed.timed_out = true;
    failed.error = reason_of(err);
    answered(failed);
  };
  // A hosted bot's runner answers within each post's time box, and posts again to a process
  // restarted under the event.
  if (target->hosted)
    return self
        ->request(st.ctx->bot_runner, hosted_event_wait, bot_event_atom::value, st.ctx->project_id,
                  target, p.message_id, std::move(body))
        .then(on_reply, on_error);
  // The request's timeout is the event's time box: a late answer is dropped.
  self->request(st.ctx->bot_caller, target->timeout, bot_event_atom::value, target, p.message_id,
                std::move(body))
      .then(on_reply, on_error);
}

void run_queries(self_ptr self);

/// What takes a query's or request's result from now on: it is measured in `metric` (by
/// outcome), kept with the front step, and the step runs on.
std::function<void(bot::fetch_result)> on_fetched(self_ptr self, const char* metric,
                                                  const char* help) {
  auto started = std::chrono::steady_clock::now();
  return [self, started, metric, help](bot::fetch_result r) {
    auto& st = self->state;
    if (auto* m = st.ctx->metrics)
      m->histograms(metric, help, {"outcome"}, metrics::latency_buckets())
          .with({r.ok ? "ok" : "failed"})
          .observe(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    st.steps.front().fetched.push_back(std::move(r));
    run_queries(self);
  };
}

/// Runs the front step's request (a declarative bot's `http` action) through the project
/// actor, which adds the secrets its headers name, then runs the step on.
void run_request(self_ptr self, bot::fetch_request fetch) {
  auto& st = self->state;
  auto got = on_fetched(self, "paige_bot_http_seconds",
                        "declarative bots' requests, from asked to answered");
  auto project = caf::actor_cast<caf::actor>(st.ctx->project);
  auto timeout = bot_request_deadline(fetch);
  self->request(project, timeout, bot_http_atom::value, std::move(fetch))
      .then([got](bot_reply& reply) { got(request_answer(reply)); },
            [self, got](caf::error& err) {
              if (err != caf::sec::request_timeout) {
                // The project actor is gone (the server is stopping): nothing is applied, and
                // the step runs again later (or after the restart, as an unhandled message).
                self->state.phases.step_finished();
                self->delayed_send(self, std::chrono::seconds{1}, retry_atom::value,
                                   std::int64_t{0});
                return;
              }
              got({false, json::array(), "no answer in time"});
            });
}

/// Runs the front step of a declarative bot with queries or requests, one round per query (run read
/// only as the project's role, on the bot query pool): the queries it reaches, one after another,
/// then its effects commit like any step's.
void run_queries(self_ptr self) {
  auto& st = self->state;
  auto& p = st.steps.front();
  bot::conversation_view view{st.wa_id, st.contact_name, std::to_string(st.conversation_id()),
                              st.state, st.vars.is_object() ? st.vars : json::object()};
  bot::step_result result;
  try {
    result = bot::run_step(
        *p.bot, view, view_of(p.wamid, json::parse(p.content_json, nullptr, false)), p.fetched);
  } catch (const std::exception&) {
    return commit_step(self);  // it throws there again, and is recorded as skipped
  }
  if (!result.fetch) {
    p.answer = std::make_shared<const bot::step_result>(std::move(result));
    return commit_step(self);
  }
  auto& fetch = *result.fetch;
  if (fetch.what == bot::fetch_request::kind::http) return run_request(self, std::move(fetch));
  auto got = on_fetched(self, "paige_bot_query_seconds",
                        "declarative bots' queries, from asked to answered (waits included)");
  self->request(st.ctx->bot_queries, bot_query_deadline(fetch), run_atom::value, st.ctx->conninfo,
                bot_query_job(fetch, st.ctx->watchdog))
      .then([got](storage::database_outcome& outcome) { got(query_rows(outcome)); },
            [self, got](caf::error& err) {
              if (err.category() != error_category && err != caf::sec::request_timeout) {
                // The pool is gone (the server is stopping): nothing is applied, and the step
                // runs again later (or after the restart, as an unhandled message).
                self->state.phases.step_finished();
                self->delayed_send(self, std::chrono::seconds{1}, retry_atom::value,
                                   std::int64_t{0});
                return;
              }
              got(query_failed(err));
            });
}

/// Runs the next step, if none is in flight.
void pump_steps(self_ptr self) {
  auto& st = self->state;
  if (st.phases.front() != front_phase::idle || st.steps.empty()) return;
  auto& front = st.steps.front();
  if (front.is_change()) {
    // open() resumes the steps: then it is known which conversation is open.
    if (st.phases.conversation() == conversation_phase::opening) return;
    st.phases.step_started();
    return run_change(self);
  }
  if (!st.phases.is_open()) {
    // Closed under a stored message (by a step, an operator or the timeout): its step runs in
    // the contact's next conversation, opened now.
    if (st.phases.conversation() == conversation_phase::none)
      when_open(self, "", initial_state_of(front.bot ? front.bot : st.bot),
                [self](const caf::error* err) {
                  if (err)
                    self->delayed_send(self, std::chrono::seconds{1}, retry_atom::value,
                                       std::int64_t{0});
                });
    return;
  }
  st.phases.step_started();
  if (front.what == pending_step::kind::operator_send) return run_operator_send(self);
  if (front.bot && front.bot->code && !front.without_effects && !front.answer)
    return call_code_bot(self);
  if (front.bot && (!front.bot->queries.empty() || !front.bot->requests.empty()) &&
      !front.without_effects && !front.answer)
    return run_queries(self);
  commit_step(self);
}

/// Runs the front step (its bot's, or a code bot's answer) and commits it with its message's
/// handled mark.
void commit_step(self_ptr self) {
  auto& st = self->state;
  auto result = compute_step(self, st.steps.front());
  self->request(st.ctx->persistence, until_answered, step_atom::value, st.ctx->project_id,
                to_row(st, st.steps.front(), result), result.saves)
      .then([self, result](storage::step_outcome& outcome) { settle_step(self, result, outcome); },
            [self, close = result.close](caf::error& err) {
              auto& st = self->state;
              st.phases.step_finished();  // it stays at the front, and runs again
              if (close) finish_closing(self, false);
              if (writes_rejected(err)) {
                // The step cannot commit (e.g. a save into a missing table): handle the
                // message without effects rather than retry it forever.
                skip_step(st.steps.front(), "step_failed", failed_write(err));
              }
              self->delayed_send(self, std::chrono::milliseconds{200}, retry_atom::value,
                                 std::int64_t{0});
            });
}

pending_step change_step(pending_step::kind what, std::int64_t conversation_id, std::string who) {
  pending_step step;
  step.what = what;
  step.target = conversation_id;
  step.who = std::move(who);
  return step;
}

/// Queues a change behind the steps; its promise answers the caller when `answered`.
caf::response_promise queue_change(self_ptr self, pending_step step, bool answered) {
  if (answered) step.promise = self->make_response_promise();
  auto rp = step.promise;
  self->state.steps.push_back(std::move(step));
  pump_steps(self);
  return rp;
}

/// An operator's message: queued in turn with the steps once the conversation is open; a
/// contact without an open conversation is looked up first, so a refused message creates
/// nothing.
void order_operator_send(self_ptr self, conversation_order& order, caf::response_promise rp) {
  auto& st = self->state;
  pending_step step;
  step.what = pending_step::kind::operator_send;
  step.content_json = std::move(order.message_json);
  step.promise = rp;
  auto type = json::parse(step.content_json, nullptr, false).value("type", "");
  auto enqueue = [self](pending_step s) {
    self->state.steps.push_back(std::move(s));
    pump_steps(self);
  };
  if (st.conversation_id() != 0) return enqueue(std::move(step));
  auto initial = initial_state_of(order.bot);
  tx_job peek = [wa_id = st.wa_id](pqxx::transaction_base& tx) {
    return caf::make_message(storage::last_inbound_of(tx, wa_id));
  };
  self->request(st.ctx->persistence, until_answered, run_atom::value, st.ctx->project_id,
                std::move(peek))
      .then(
          [self, step, type, initial, enqueue](double last_inbound) mutable {
            auto& st = self->state;
            st.last_inbound = std::max(st.last_inbound, last_inbound);
            if (!within_service_window(type, st.last_inbound, now_seconds())) {
              count_outside_window(st, "api");
              step.promise.deliver(outside_window_error());
              return;
            }
            when_open(self, "", initial, [step, enqueue](const caf::error* err) mutable {
              if (err)
                step.promise.deliver(*err);
              else
                enqueue(std::move(step));
            });
          },
          [step](caf::error& err) mutable { step.promise.deliver(err); });
}

/// Takes an order of the project actor; answers it (by promise) where the protocol says so.
caf::result<void> take_order(self_ptr self, conversation_order& order) {
  using kind = conversation_order::kind;
  auto& st = self->state;
  switch (order.what) {
    case kind::recover: {
      pending_step step;
      step.message_id = order.recovered.id;
      step.wamid = order.recovered.wamid;
      step.content_json = order.recovered.content_json;
      step.bot = order.bot;
      st.steps.push_back(std::move(step));
      if (st.conversation_id() == 0 && order.bot)
        when_open(self, order.recovered.contact_name, order.bot->initial_state,
                  [](const caf::error*) {});
      pump_steps(self);
      return {};
    }
    case kind::operator_send: {
      auto rp = self->make_response_promise();
      order_operator_send(self, order, rp);
      return rp;
    }
    case kind::change_state: {
      auto step = change_step(pending_step::kind::change_state, order.conversation_id,
                              std::move(order.who));
      step.new_state = std::move(order.state);
      return queue_change(self, std::move(step), true);
    }
    case kind::close:
      return queue_change(
          self, change_step(pending_step::kind::close, order.conversation_id, std::move(order.who)),
          true);
    case kind::expire: {
      auto step = change_step(pending_step::kind::expire, order.conversation_id, "timeout");
      step.idle_seconds = order.idle_seconds;
      queue_change(self, std::move(step), false);
      return {};
    }
    case kind::opt_out: {
      auto step = change_step(pending_step::kind::opt_out, order.contact_id, "operator");
      step.opted_out = order.opted_out;
      return queue_change(self, std::move(step), true);
    }
  }
  return {};
}

/// The signals without a payload of their own: (retry_atom, 0) from itself; from the parent
/// (idle_atom, asked_at) and (passivate_atom, 0).
void take_signal(self_ptr self, caf::atom_value signal, std::int64_t arg) {
  auto& st = self->state;
  if (signal == retry_atom::value) {
    pump_steps(self);
  } else if (signal == passivate_atom::value) {
    self->quit();
  } else if (signal == idle_atom::value) {
    // Busy: the parent's next sweep asks again.
    if (!st.busy())
      self->send(caf::actor_cast<caf::actor>(self->current_sender()), idle_atom::value, st.wa_id,
                 arg);
  }
}

caf::behavior conversation(self_ptr self, std::shared_ptr<const conversation_context> ctx,
                           std::string wa_id) {
  self->state.ctx = std::move(ctx);
  self->state.wa_id = std::move(wa_id);
  // Instead of a monitor (an attachable per conversation): the parent hears of a crash from
  // the crashing actor itself, and forgets it.
  self->set_exception_handler([self](std::exception_ptr& thrown) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    auto& st = self->state;
    log::error("conversation.crashed", {{"project", st.ctx->project_id}, {"reason", what}});
    self->send(caf::actor_cast<caf::actor>(st.ctx->project), crashed_atom::value, st.wa_id);
    return caf::sec::runtime_error;
  });
  // Three handlers, not one per kind of work: each costs memory in every conversation actor
  // (docs/decisions/0004).
  return {
      [=](inbound_atom, inbound_message& msg, bot_ptr& bot,
          bool paused) -> caf::result<caf::ok_atom> {
        auto rp = self->make_response_promise();
        store(self, {std::move(msg), std::move(bot), paused, rp});
        return rp;
      },
      [=](order_atom, conversation_order& order) { return take_order(self, order); },
      [=](caf::atom_value signal, std::int64_t arg) { take_signal(self, signal, arg); },
  };
}

}  // namespace

bool within_service_window(const std::string& type, double last_inbound, double now) {
  if (type == "template") return true;
  return last_inbound > 0 && now - last_inbound < service_window_seconds;
}

conversation_order recover_order(storage::unhandled_row row, bot_ptr bot) {
  conversation_order o;
  o.what = conversation_order::kind::recover;
  o.recovered = std::move(row);
  o.bot = std::move(bot);
  return o;
}

conversation_order operator_send_order(std::string message_json, bot_ptr bot) {
  conversation_order o;
  o.what = conversation_order::kind::operator_send;
  o.message_json = std::move(message_json);
  o.bot = std::move(bot);
  return o;
}

conversation_order change_state_order(std::int64_t conversation_id, std::string state,
                                      std::string who) {
  conversation_order o;
  o.what = conversation_order::kind::change_state;
  o.conversation_id = conversation_id;
  o.state = std::move(state);
  o.who = std::move(who);
  return o;
}

conversation_order close_order(std::int64_t conversation_id, std::string who) {
  conversation_order o;
  o.what = conversation_order::kind::close;
  o.conversation_id = conversation_id;
  o.who = std::move(who);
  return o;
}

conversation_order expire_order(std::int64_t conversation_id, std::int64_t idle_seconds) {
  conversation_order o;
  o.what = conversation_order::kind::expire;
  o.conversation_id = conversation_id;
  o.idle_seconds = idle_seconds;
  return o;
}

conversation_order opt_out_order(std::int64_t contact_id, bool opted_out) {
  conversation_order o;
  o.what = conversation_order::kind::opt_out;
  o.contact_id = contact_id;
  o.opted_out = opted_out;
  return o;
}

caf::actor spawn_conversation(caf::local_actor* parent,
                              std::shared_ptr<const conversation_context> ctx, std::string wa_id) {
  // Neither linked nor monitored (each costs per conversation: docs/decisions/0004): the
  // parent stops its conversations itself; a conversation that crashes tells it (crashed_atom).
  return parent->spawn(conversation, std::move(ctx), std::move(wa_id));
}

}  // namespace paige::actors
