#include "actors/account_events.hpp"

#include "actors/core/number_health.hpp"
#include "actors/core/template_events.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/event_hub.hpp"
#include "actors/meta_sync.hpp"
#include "actors/project_broadcasts.hpp"
#include "actors/project_flows.hpp"
#include "actors/project_templates.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "storage/whatsapp_events.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <functional>
#include <limits>
#include <memory>
#include <pqxx/pqxx>

namespace paige::actors {

/// What one transaction on the number's health did.
struct health_update {
  nlohmann::json health;                             ///< the health now stored
  bool changed = false;                              ///< it differs from what was stored
  std::vector<storage::account_event_row> recorded;  ///< changes new to this project
  std::string verified_name;          ///< a display name Meta approved just now (stored with it)
  nlohmann::json previous;            ///< what a change replaced, when its caller may undo it
  std::string whatsapp_json;          ///< the project's whatsapp view after
  std::uint64_t whatsapp_ticket = 0;  ///< when that view was asked for (show_whatsapp)
  nlohmann::json templates = nlohmann::json::array();  ///< templates the changes changed
  bool templates_resync = false;                       ///< Meta's template list is to be read
  nlohmann::json flows = nlohmann::json::array();      ///< flows the changes changed
};

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<paige::actors::health_update>)

namespace paige::actors {
namespace {

using json = nlohmann::json;

constexpr std::chrono::seconds control_timeout{15};
constexpr std::size_t max_published_value = 16 * 1024;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Changes the number's health: `change` gets the transaction and the locked, stored health
/// (null when the project has no number: nothing is stored then but the changes it records).
using health_change = std::function<void(pqxx::transaction_base&, health_update&)>;

void publish(project_self self, const std::string& type, json data) {
  publish_project_event(self, type, std::move(data));
}

void count(project_self self, const char* name, const char* help,
           const std::vector<std::string>& labels, const std::vector<std::string>& values) {
  if (auto* m = self->state.svc->metrics) m->counters(name, help, labels).with(values).inc();
}

std::int64_t version_of(const json& health) {
  return health.is_object() ? health.value("version", std::int64_t{0}) : 0;
}

/// Hands the hold to meta_sync (with the latest refusal it told of: an older release is
/// ignored there; `authoritative`: the stored health handed over with the number, which no
/// refusal of meta_sync can be newer than: its sends after it carry a new epoch), and arms one
/// check at the hold's end (re-armed daily for a far end).
void apply_hold(project_self self, const json& health, bool authoritative = false) {
  auto& st = self->state;
  self->send(st.svc->meta_sync, hold_atom::value, st.row.id, health::held(health),
             authoritative ? std::numeric_limits<std::uint64_t>::max() : st.refusal_seq);
  auto until = health::held_until(health);
  if (!until) return;
  auto now = unix_now();
  auto due = std::min(*until + 1, now + 24 * 60 * 60);
  if (st.health_check_at > now && st.health_check_at <= due) return;  // one is armed already
  st.health_check_at = due;
  self->delayed_send(self, std::chrono::seconds{std::max<std::int64_t>(due - now, 1)},
                     health_check_atom::value);
}

/// Adopts what a committed update stored: events, metrics, and (when newer than what this
/// actor has: replies of concurrent updates may come in any order) the number's health, its
/// view and its hold.
void adopt(project_self self, const health_update& u) {
  auto& st = self->state;
  for (const auto& e : u.recorded) {
    count(self, "paige_whatsapp_account_events_total",
          "webhook changes of other fields than messages, recorded, by field", {"field"},
          {e.field});
    // The event hub keeps the project's last events in memory: a large value (Meta's webhooks
    // reach 3 MB) is left to the events API.
    json event{{"id", e.id}, {"field", e.field}, {"received_at", e.received_at}};
    if (e.value_json.size() <= max_published_value)
      event["value"] = json::parse(e.value_json, nullptr, false);
    else
      event["value_omitted"] = true;
    publish(self, "whatsapp.event", std::move(event));
  }
  if (!st.number || !u.health.is_object()) return;
  auto cached = json::parse(st.number->health_json, nullptr, false);
  if (version_of(u.health) <= version_of(cached)) return;
  bool was_held = health::held(cached);
  st.number->health_json = u.health.dump();
  if (!u.verified_name.empty()) st.number->verified_name = u.verified_name;
  if (!u.whatsapp_json.empty()) show_whatsapp(st, u.whatsapp_ticket, u.whatsapp_json);
  publish(self, "whatsapp.health", {{"health", u.health}});
  auto limit_of = [](const json& h) {
    return h.is_object() ? h.value("messaging_limit", json()) : json();
  };
  if (limit_of(u.health) != limit_of(cached)) tell_runners_limit(self);
  if (health::held(u.health) != was_held) {
    log::warn(health::held(u.health) ? "whatsapp.sends_held" : "whatsapp.sends_released",
              {{"project", st.row.id}, {"reason", u.health.value("held", "")}});
    if (health::held(u.health))
      count(self, "paige_whatsapp_holds_total",
            "times a number's sends were held because Meta restricted them", {}, {});
  }
  apply_hold(self, u.health);
}

/// Runs `change` in one transaction over the locked health (each stored change gets the next
/// version); `done` gets the update, or the error when nothing was stored. A number whose
/// row is missing (replaced meanwhile) fails the transaction: the caller's webhook is
/// answered 503 and Meta redelivers.
void change_health(project_self self, health_change change,
                   std::function<void(caf::expected<health_update>)> done) {
  auto& st = self->state;
  auto number_id = st.number ? st.number->phone_number_id : std::string{};
  auto ticket = whatsapp_ticket(st);
  self->request(st.svc->control_db, control_timeout, run_atom::value,
                db_job{[number_id, change, id = st.row.id](pqxx::connection& c) {
                  auto u = std::make_shared<health_update>();
                  pqxx::work tx{c};
                  std::optional<std::string> stored;
                  if (!number_id.empty()) {
                    stored = storage::lock_number_health(tx, id, number_id);
                    if (!stored)
                      throw std::runtime_error("the number " + number_id + " is not the project's");
                  }
                  auto before = stored ? json::parse(*stored, nullptr, false) : json{};
                  u->health = before;
                  change(tx, *u);
                  u->changed = stored && u->health != before;
                  if (u->changed) {
                    u->health["version"] = version_of(before) + 1;
                    storage::set_number_health(tx, id, number_id, u->health.dump());
                  }
                  if (!u->verified_name.empty())
                    storage::set_verified_name(tx, id, number_id, u->verified_name);
                  tx.commit();
                  if (stored)
                    if (auto row = storage::find_project(c, id))
                      u->whatsapp_json = row->whatsapp_json;
                  return caf::make_message(std::move(u));
                }})
      .then(
          [self, done, ticket](std::shared_ptr<health_update>& u) {
            u->whatsapp_ticket = ticket;
            adopt(self, *u);
            done(std::move(*u));
          },
          [done](caf::error& err) { done(std::move(err)); });
}

void register_again(project_self self) {
  auto& st = self->state;
  if (!st.number) return;
  self->request(st.account, caf::infinite, reregister_atom::value, *st.number)
      .then(
          [self](bool) {
            log::info("whatsapp.registered_again", {{"project", self->state.row.id}});
          },
          [self](caf::error& err) {
            // The name is approved either way; Meta shows it once the number is registered
            // again, which connecting the number again also does.
            log::warn("whatsapp.register_again_failed",
                      {{"project", self->state.row.id}, {"reason", reason_of(err)}});
            publish(self, "whatsapp.register_failed", {{"reason", reason_of(err)}});
          });
}

}  // namespace

void record_account_changes(project_self self, std::vector<account_change> changes, batch_ack ack) {
  auto& st = self->state;
  auto number_id = st.number ? st.number->phone_number_id : std::string{};
  auto now = unix_now();
  change_health(
      self,
      [changes = std::move(changes), number_id, now, project = st.row.id](
          pqxx::transaction_base& tx, health_update& u) {
        for (const auto& c : changes) {
          storage::account_event_row row{0,         c.dedupe_key, c.field,      c.waba_id,
                                         number_id, c.time,       c.value_json, {}};
          if (!storage::insert_account_event(tx, project, row)) continue;  // a redelivery
          u.recorded.push_back(row);
          if (templates::is_template_field(c.field)) {
            apply_template_webhook(tx, project, c.field, c.time,
                                   json::parse(c.value_json, nullptr, false), u.templates,
                                   u.templates_resync);
            continue;
          }
          if (c.field == "flows") {
            apply_flow_webhook(tx, project, c.time, json::parse(c.value_json, nullptr, false),
                               u.flows);
            continue;
          }
          if (number_id.empty()) continue;
          auto out = health::apply(u.health, c.field, c.time,
                                   json::parse(c.value_json, nullptr, false), now);
          if (!out.changed) continue;
          u.health = std::move(out.health);
          if (out.name_approved)
            u.verified_name = u.health["display_name"].value("name", std::string{});
        }
      },
      [self, ack](caf::expected<health_update> u) mutable {
        if (!u) {
          log::warn("whatsapp.account_events_not_stored",
                    {{"project", self->state.row.id}, {"reason", reason_of(u.error())}});
          return ack.fail(u.error());
        }
        if (!u->verified_name.empty()) register_again(self);
        templates_changed(self, u->templates, u->templates_resync);
        flows_changed(self, u->flows);
        ack.ok();
      });
}

void record_sends_refused(project_self self, const std::string& error_json, std::uint64_t seq) {
  self->state.refusal_seq = std::max(self->state.refusal_seq, seq);
  auto error = json::parse(error_json, nullptr, false);
  change_health(
      self,
      [error](pqxx::transaction_base&, health_update& u) {
        if (!u.health.is_null()) u.health = health::refuse_sends(u.health, error, unix_now());
      },
      [self](caf::expected<health_update> u) {
        if (u) return;
        // Not stored: release the hold after the first wait anyway, so the number does not
        // stay held for good; a refused send holds it again.
        log::warn("whatsapp.refusal_not_stored",
                  {{"project", self->state.row.id}, {"reason", reason_of(u.error())}});
        self->delayed_send(self, std::chrono::minutes{5}, health_check_atom::value);
      });
}

void settle_number_health(project_self self, bool with_number) {
  auto& st = self->state;
  if (st.health_check_at <= unix_now()) st.health_check_at = 0;  // this was it
  if (!st.number) return;
  auto current = json::parse(st.number->health_json, nullptr, false);
  auto settled = health::settle(current, unix_now());
  apply_hold(self, settled, with_number);
  if (settled == current) return;
  change_health(
      self,
      [](pqxx::transaction_base&, health_update& u) {
        if (!u.health.is_null()) u.health = health::settle(u.health, unix_now());
      },
      [self](caf::expected<health_update> u) {
        if (!u) self->delayed_send(self, std::chrono::seconds{5}, health_check_atom::value);
      });
}

caf::result<std::string> request_display_name(project_self self, std::string name) {
  auto& st = self->state;
  if (!st.number)
    return make_error(errc::conflict, "connect a WhatsApp number first",
                      api_code::whatsapp_not_connected);
  auto rp = self->make_response_promise<std::string>();
  // The pending review is stored before Meta is asked: Meta's decision, however early it
  // comes, is applied after it. If Meta refuses the request, what was there is put back.
  change_health(
      self,
      [name](pqxx::transaction_base&, health_update& u) {
        if (u.health.is_null()) return;
        u.previous = u.health.value("display_name", json());
        u.health = health::request_name(u.health, name, unix_now());
      },
      [self, rp, name](caf::expected<health_update> stored) mutable {
        if (!stored) {
          rp.deliver(stored.error());
          return;
        }
        auto previous = stored->previous;
        self->request(self->state.account, caf::infinite, display_name_atom::value,
                      *self->state.number, name)
            .then(
                [self, rp](bool) mutable {
                  log::info("whatsapp.display_name_requested", {{"project", self->state.row.id}});
                  rp.deliver(self->state.row.whatsapp_json);
                },
                [self, rp, previous](caf::error& err) mutable {
                  change_health(
                      self,
                      [previous](pqxx::transaction_base&, health_update& u) {
                        if (u.health.is_null()) return;
                        if (previous.is_null())
                          u.health.erase("display_name");
                        else
                          u.health["display_name"] = previous;
                      },
                      [rp, err](caf::expected<health_update>) mutable { rp.deliver(err); });
                });
      });
  return rp;
}

void publish_project_event(project_self self, const std::string& type, nlohmann::json data) {
  auto& st = self->state;
  if (!st.events) return;
  data["type"] = type;
  data["conversation_id"] = 0;
  self->send(st.events, publish_atom::value, type, std::int64_t{0}, data.dump());
}

}  // namespace paige::actors
