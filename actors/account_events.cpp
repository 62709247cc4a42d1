#include "actors/account_events.hpp"

#include "actors/core/number_health.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/event_hub.hpp"
#include "actors/meta_sync.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "storage/whatsapp_events.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <pqxx/pqxx>

namespace paige::actors {

/// What one transaction on the number's health did.
struct health_update {
  nlohmann::json health;                             ///< the health now stored
  bool changed = false;                              ///< it differs from what was stored
  std::vector<storage::account_event_row> recorded;  ///< changes new to this project
  std::string approved_name;                         ///< a display name Meta approved just now
  std::string whatsapp_json;                         ///< the project's whatsapp view after
};

}  // namespace paige::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<paige::actors::health_update>)

namespace paige::actors {
namespace {

using json = nlohmann::json;

constexpr std::chrono::seconds control_timeout{15};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Changes the number's health: `change` gets the transaction and the locked, stored health
/// (null when the project has no number: nothing is stored then but the changes it records).
using health_change = std::function<void(pqxx::transaction_base&, health_update&)>;

void publish(project_self self, const std::string& type, json data) {
  auto& st = self->state;
  if (!st.events) return;
  data["type"] = type;
  data["conversation_id"] = 0;
  self->send(st.events, publish_atom::value, type, std::int64_t{0}, data.dump());
}

void count(project_self self, const char* name, const char* help,
           const std::vector<std::string>& labels, const std::vector<std::string>& values) {
  if (auto* m = self->state.svc->metrics) m->counters(name, help, labels).with(values).inc();
}

/// Hands the hold to meta_sync, and arms the check at its end.
void apply_hold(project_self self, const json& health) {
  auto& st = self->state;
  self->send(st.svc->meta_sync, hold_atom::value, st.row.id, health::held(health));
  if (auto until = health::held_until(health)) {
    auto wait = std::max<std::int64_t>(*until - unix_now(), 0) + 1;
    self->delayed_send(self, std::chrono::seconds{wait}, health_check_atom::value);
  }
}

/// Adopts what a committed update stored: the number's view, events, metrics, the hold.
void adopt(project_self self, const health_update& u) {
  auto& st = self->state;
  if (!u.whatsapp_json.empty()) st.row.whatsapp_json = u.whatsapp_json;
  for (const auto& e : u.recorded) {
    count(self, "paige_whatsapp_account_events_total",
          "webhook changes of other fields than messages, recorded, by field", {"field"},
          {e.field});
    publish(self, "whatsapp.event",
            {{"id", e.id},
             {"field", e.field},
             {"value", json::parse(e.value_json, nullptr, false)},
             {"received_at", e.received_at}});
  }
  if (!st.number || !u.changed) return;
  bool was_held = health::held(json::parse(st.number->health_json, nullptr, false));
  st.number->health_json = u.health.dump();
  if (!u.approved_name.empty()) st.number->verified_name = u.approved_name;
  publish(self, "whatsapp.health", {{"health", u.health}});
  if (health::held(u.health) != was_held) {
    log::warn(health::held(u.health) ? "whatsapp.sends_held" : "whatsapp.sends_released",
              {{"project", st.row.id}, {"reason", u.health.value("held", "")}});
    if (health::held(u.health))
      count(self, "paige_whatsapp_holds_total",
            "times a number's sends were held because Meta restricted them", {}, {});
  }
  apply_hold(self, u.health);
}

/// Runs `change` in one transaction over the locked health; `done` gets the update or the
/// error (nothing was stored then).
void change_health(project_self self, health_change change,
                   std::function<void(caf::expected<health_update>)> done) {
  auto& st = self->state;
  auto number_id = st.number ? st.number->phone_number_id : std::string{};
  self->request(st.svc->control_db, control_timeout, run_atom::value,
                db_job{[number_id, change, id = st.row.id](pqxx::connection& c) {
                  auto u = std::make_shared<health_update>();
                  pqxx::work tx{c};
                  auto stored =
                      number_id.empty() ? std::nullopt : storage::lock_number_health(tx, number_id);
                  auto before = stored ? json::parse(*stored, nullptr, false) : json{};
                  u->health = before;
                  change(tx, *u);
                  u->changed = stored && u->health != before;
                  if (u->changed) storage::set_number_health(tx, number_id, u->health.dump());
                  if (!u->approved_name.empty())
                    storage::set_verified_name(tx, number_id, u->approved_name);
                  tx.commit();
                  if (u->changed)
                    if (auto row = storage::find_project(c, id))
                      u->whatsapp_json = row->whatsapp_json;
                  return caf::make_message(std::move(u));
                }})
      .then(
          [self, done](std::shared_ptr<health_update>& u) {
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
          if (number_id.empty()) continue;
          auto out = health::apply(u.health, c.field, c.time,
                                   json::parse(c.value_json, nullptr, false), now);
          if (!out.changed) continue;
          u.health = std::move(out.health);
          if (out.name_approved)
            u.approved_name = u.health["display_name"].value("name", std::string{});
        }
      },
      [self, ack](caf::expected<health_update> u) mutable {
        if (!u) {
          log::warn("whatsapp.account_events_not_stored",
                    {{"project", self->state.row.id}, {"reason", reason_of(u.error())}});
          return ack.fail(u.error());
        }
        if (!u->approved_name.empty()) register_again(self);
        ack.ok();
      });
}

void record_sends_refused(project_self self, const std::string& error_json) {
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

void settle_number_health(project_self self) {
  auto& st = self->state;
  if (!st.number) return;
  auto current = json::parse(st.number->health_json, nullptr, false);
  auto settled = health::settle(current, unix_now());
  apply_hold(self, settled);
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
  self->request(st.account, caf::infinite, display_name_atom::value, *st.number, name)
      .then(
          [self, rp, name](bool) mutable {
            log::info("whatsapp.display_name_requested", {{"project", self->state.row.id}});
            change_health(
                self,
                [name](pqxx::transaction_base&, health_update& u) {
                  if (!u.health.is_null())
                    u.health = health::request_name(u.health, name, unix_now());
                },
                [self, rp](caf::expected<health_update> u) mutable {
                  // Meta has the request either way: its decision is recorded when it comes.
                  if (!u)
                    rp.deliver(u.error());
                  else
                    rp.deliver(self->state.row.whatsapp_json);
                });
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

}  // namespace paige::actors
