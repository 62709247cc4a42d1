#include "actors/project_templates.hpp"

#include "actors/account_events.hpp"
#include "actors/core/graph_result.hpp"
#include "actors/core/template_events.hpp"
#include "actors/db_pool.hpp"
#include "actors/errors.hpp"
#include "actors/project_steps.hpp"
#include "common/log.hpp"
#include "storage/templates.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <random>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::template_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<paige::storage::template_row>)

namespace paige::actors {
namespace {

using json = nlohmann::json;

using namespace project_steps;

json view_of(const storage::template_row& t) {
  return {{"id", t.meta_id},
          {"name", t.name},
          {"language", t.language},
          {"category", t.category},
          {"parameter_format", t.parameter_format},
          {"components", json::parse(t.components_json, nullptr, false)},
          {"status", t.status},
          {"reason", t.reason.empty() ? json(nullptr) : json(t.reason)},
          {"quality", t.quality.empty() ? json(nullptr) : json(t.quality)},
          {"created_at", t.created_at},
          {"updated_at", t.updated_at}};
}

caf::error no_template(const std::string& name, const std::string& language) {
  return make_error(errc::not_found,
                    "no template '" + name + "'" +
                        (language.empty() ? std::string{} : " in language '" + language + "'"),
                    api_code::template_not_found);
}

void publish(project_self self, const std::string& type, json data) {
  publish_project_event(self, type, std::move(data));
}

void publish_change(project_self self, const json& change) {
  if (change.value("deleted", false))
    publish(self, "template.deleted",
            {{"name", change.value("name", "")}, {"language", change.value("language", "")}});
  else
    publish(self, "template.updated", {{"template", change}});
}

/// A template of Meta's list as stored; nullopt for one without what a template has.
std::optional<storage::template_row> row_of_meta(const json& t, const std::string& waba_id,
                                                 std::int64_t now) {
  storage::template_row r;
  r.meta_id = string_member(t, "id");
  r.name = string_member(t, "name");
  r.language = string_member(t, "language");
  r.status = string_member(t, "status");
  if (r.meta_id.empty() || r.name.empty() || r.language.empty() || r.status.empty() ||
      r.meta_id.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  r.waba_id = waba_id;
  r.category = string_member(t, "category");
  r.parameter_format = string_member(t, "parameter_format");
  std::transform(r.parameter_format.begin(), r.parameter_format.end(), r.parameter_format.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (r.parameter_format.empty()) r.parameter_format = "positional";
  auto components = t.value("components", json::array());
  r.components_json = (components.is_array() ? components : json::array()).dump();
  r.reason = string_member(t, "rejected_reason");
  if (r.reason == "NONE") r.reason.clear();
  r.quality = string_member(t.value("quality_score", json::object()), "score");
  r.status_time = now;
  return r;
}

void run_sync(project_self self);

/// Puts committed changes (views, or `{"name", "language", "deleted": true}`) on the shelf at
/// once, in this actor's turn: a send judged after the commit's answer sees them. A read of
/// the stored templates asked for before is dropped when it answers.
void shelve(project_self self, const json& changes) {
  auto& st = self->state;
  // A read of the shelf in flight (a sync's, a load's) may predate this change: it reads again.
  st.templates_shown = ++st.templates_loads;
  auto current = st.templates->get();
  if (!current) return;  // not read from Meta yet: sends are Meta's to judge
  auto next = std::make_shared<templates::book>(*current);
  for (const auto& c : changes) {
    if (c.value("deleted", false))
      next->remove(c.value("name", ""), c.value("language", ""));
    else
      next->add(c);
  }
  st.templates->put(std::move(next));
}

}  // namespace

void load_templates(project_self self) {
  auto& st = self->state;
  auto load = ++st.templates_loads;
  auto waba = st.number ? st.number->waba_id : std::string{};
  self->request(st.svc->control_db, control_timeout, run_atom::value,
                db_job{[id = st.row.id, waba](pqxx::connection& c) {
                  pqxx::read_transaction tx{c};
                  // Until Meta's list was read once, what is stored is not all there is: sends
                  // are left to Meta to judge (a null book).
                  templates::book_ptr book;
                  if (!waba.empty() && storage::templates_synced(tx, id, waba)) {
                    auto b = std::make_shared<templates::book>();
                    for (const auto& t : storage::templates_of(tx, id, "", "", "", "", 0))
                      b->add(view_of(t));
                    book = std::move(b);
                  }
                  return caf::make_message(std::move(book));
                }})
      .then(
          [self, load, waba](templates::book_ptr& b) {
            auto& s = self->state;
            // A change shelved since this read began may be missing from it: read again.
            if (load < s.templates_shown) return load_templates(self);
            s.templates_shown = load;
            bool never_synced = !b && !waba.empty();
            s.templates->put(std::move(b));
            if (never_synced && s.number && s.number->waba_id == waba && !s.templates_syncing)
              run_sync(self);
          },
          [self](caf::error& err) {
            // Sends are judged as before meanwhile; the next change reads them again.
            log::warn("templates.load_failed",
                      {{"project", self->state.row.id}, {"reason", reason_of(err)}});
          });
}

caf::result<std::string> create_template(project_self self, std::string template_json) {
  auto& st = self->state;
  if (!st.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  auto t = json::parse(template_json);
  auto name = t.value("name", ""), language = t.value("language", "");
  control(
      self,
      [id = st.row.id, name, language](pqxx::connection& c) {
        pqxx::work tx{c};
        return caf::make_message(storage::lock_template(tx, id, "", name, language).has_value());
      },
      rp,
      [self, rp, t, template_json, name, language](bool exists) mutable {
        if (exists) {
          rp.deliver(make_error(errc::conflict,
                                "template '" + name + "' exists in language '" + language +
                                    "': edit it, or delete it first",
                                api_code::template_exists));
          return;
        }
        auto& st = self->state;
        if (!st.number) return rp.deliver(not_connected()), void();
        auto number = *st.number;
        ask_account(
            self, rp,
            [self, rp, t, number](std::string& answer_json) mutable {
              auto answer = json::parse(answer_json, nullptr, false);
              storage::template_row r;
              r.name = t.value("name", "");
              r.language = t.value("language", "");
              r.meta_id = string_member(answer, "id");
              r.waba_id = number.waba_id;
              r.category = string_member(answer, "category");
              if (r.category.empty()) r.category = t.value("category", "");
              r.parameter_format = t.value("parameter_format", "positional");
              r.components_json = t["components"].dump();
              r.status = string_member(answer, "status");
              if (r.status.empty()) r.status = "PENDING";
              // Any webhook about it, however early, is newer than this answer.
              r.status_time = 0;
              control(
                  self,
                  [id = self->state.row.id, r](pqxx::connection& c) {
                    pqxx::work tx{c};
                    storage::save_template(tx, id, r);
                    auto stored = storage::lock_template(tx, id, r.meta_id, "", "");
                    tx.commit();
                    return caf::make_message(view_of(stored.value()).dump());
                  },
                  rp,
                  [self, rp](std::string& view) mutable {
                    auto t = json::parse(view);
                    shelve(self, json::array({t}));
                    publish(self, "template.updated", {{"template", t}});
                    rp.deliver(std::move(view));
                  });
            },
            template_create_atom::value, number, template_json);
      });
  return rp;
}

caf::result<std::string> list_templates(project_self self, std::string status, std::string name,
                                        std::string after_name, std::string after_language,
                                        int limit) {
  auto rp = self->make_response_promise<std::string>();
  control(
      self,
      [id = self->state.row.id, status, name, after_name, after_language,
       limit](pqxx::connection& c) {
        pqxx::read_transaction tx{c};
        // One more than asked tells whether another page follows.
        auto rows =
            storage::templates_of(tx, id, status, name, after_name, after_language, limit + 1);
        json out{{"items", json::array()}, {"next", nullptr}};
        bool more = static_cast<int>(rows.size()) > limit;
        if (more) rows.pop_back();
        for (const auto& r : rows) out["items"].push_back(view_of(r));
        if (more) out["next"] = {{"name", rows.back().name}, {"language", rows.back().language}};
        return caf::make_message(out.dump());
      },
      rp, [rp](std::string& page) mutable { rp.deliver(std::move(page)); });
  return rp;
}

caf::result<std::string> get_template(project_self self, std::string name, std::string language) {
  // From the shelf when it holds the templates: what this answers is what sends are judged by.
  if (auto book = self->state.templates->get()) {
    if (const auto* t = book->find(name, language)) return t->dump();
    return no_template(name, language);
  }
  auto rp = self->make_response_promise<std::string>();
  control(
      self,
      [id = self->state.row.id, name, language](pqxx::connection& c) {
        pqxx::work tx{c};
        auto row = storage::lock_template(tx, id, "", name, language);
        return caf::make_message(row ? view_of(*row).dump() : std::string{});
      },
      rp,
      [rp, name, language](std::string& view) mutable {
        if (view.empty())
          rp.deliver(no_template(name, language));
        else
          rp.deliver(std::move(view));
      });
  return rp;
}

caf::result<std::string> edit_template(project_self self, std::string name, std::string language,
                                       std::string patch_json) {
  auto& st = self->state;
  if (!st.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  auto patch = json::parse(patch_json);
  control(
      self,
      [id = st.row.id, name, language](pqxx::connection& c) {
        pqxx::work tx{c};
        auto row = storage::lock_template(tx, id, "", name, language);
        return caf::make_message(row.value_or(storage::template_row{}));
      },
      rp,
      [self, rp, patch, name, language](storage::template_row& row) mutable {
        if (row.meta_id.empty()) return rp.deliver(no_template(name, language)), void();
        if (row.status != "APPROVED" && row.status != "REJECTED" && row.status != "PAUSED")
          return rp.deliver(make_error(errc::conflict,
                                       "Meta edits only APPROVED, REJECTED or PAUSED templates; "
                                       "this one is " +
                                           row.status,
                                       api_code::template_not_editable)),
                 void();
        if (row.status == "APPROVED" && patch.contains("category") &&
            patch["category"] != row.category)
          return rp.deliver(make_error(errc::conflict,
                                       "an approved template's category cannot change",
                                       api_code::template_not_editable)),
                 void();
        if (!self->state.number) return rp.deliver(not_connected()), void();
        auto started = unix_now();
        ask_account(
            self, rp,
            [self, rp, patch, row, started, name, language](bool) mutable {
              // Only what the edit changed: webhooks that came meanwhile stay applied, and a
              // template deleted meanwhile stays deleted.
              auto components =
                  patch.contains("components") ? patch["components"].dump() : row.components_json;
              auto category =
                  patch.contains("category") ? patch["category"].get<std::string>() : std::string{};
              control(
                  self,
                  [id = self->state.row.id, meta_id = row.meta_id, components, category,
                   started](pqxx::connection& c) {
                    pqxx::work tx{c};
                    if (!storage::edit_template(tx, id, meta_id, components, category, started))
                      return caf::make_message(std::string{});
                    auto stored = storage::lock_template(tx, id, meta_id, "", "");
                    tx.commit();
                    return caf::make_message(view_of(stored.value()).dump());
                  },
                  rp,
                  [self, rp, name, language](std::string& view) mutable {
                    if (view.empty()) return rp.deliver(no_template(name, language)), void();
                    auto t = json::parse(view);
                    shelve(self, json::array({t}));
                    publish(self, "template.updated", {{"template", t}});
                    rp.deliver(std::move(view));
                  });
            },
            template_edit_atom::value, *self->state.number, row.meta_id, patch.dump());
      });
  return rp;
}

caf::result<std::string> delete_templates(project_self self, std::string name,
                                          std::string language) {
  auto& st = self->state;
  if (!st.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  control(
      self,
      [id = st.row.id, name](pqxx::connection& c) {
        pqxx::read_transaction tx{c};
        return caf::make_message(storage::templates_of(tx, id, "", name, "", "", 0));
      },
      rp,
      [self, rp, name, language](std::vector<storage::template_row>& rows) mutable {
        auto it = std::find_if(rows.begin(), rows.end(), [&](const storage::template_row& r) {
          return language.empty() || r.language == language;
        });
        if (it == rows.end()) return rp.deliver(no_template(name, language)), void();
        if (!self->state.number) return rp.deliver(not_connected()), void();
        ask_account(
            self, rp,
            [self, rp, name, language, rows](bool) mutable {
              control(
                  self,
                  [id = self->state.row.id, name, language](pqxx::connection& c) {
                    pqxx::work tx{c};
                    auto n = storage::remove_templates(tx, id, name, language);
                    tx.commit();
                    return caf::make_message(static_cast<std::int64_t>(n));
                  },
                  rp,
                  [self, rp, name, language, rows](std::int64_t n) mutable {
                    log::info("whatsapp.template_deleted",
                              {{"project", self->state.row.id}, {"name", name}});
                    json gone = json::array();
                    for (const auto& r : rows)
                      if (language.empty() || r.language == language)
                        gone.push_back(
                            {{"name", name}, {"language", r.language}, {"deleted", true}});
                    shelve(self, gone);
                    publish(self, "template.deleted", {{"name", name}, {"language", language}});
                    rp.deliver(json{{"deleted", n}}.dump());
                  });
            },
            template_delete_atom::value, *self->state.number, name,
            language.empty() ? std::string{} : it->meta_id);
      });
  return rp;
}

namespace {

void end_sync(project_self self, const caf::expected<std::string>& outcome) {
  auto& st = self->state;
  st.templates_syncing = false;
  for (auto& rp : st.syncs_running) {
    if (outcome)
      rp.deliver(*outcome);
    else
      rp.deliver(outcome.error());
  }
  st.syncs_running.clear();
  if (!st.syncs_next.empty() || st.templates_sync_again) run_sync(self);
}

void run_sync(project_self self) {
  auto& st = self->state;
  st.templates_syncing = true;
  st.templates_sync_again = false;
  st.syncs_running = std::move(st.syncs_next);
  st.syncs_next.clear();
  if (!st.number) return end_sync(self, not_connected());
  auto waba = st.number->waba_id;
  // What Meta's list says is as of when it was asked for: a webhook deciding later wins.
  auto started = unix_now();
  self->request(st.account, caf::infinite, template_list_atom::value, *st.number)
      .then(
          [self, waba, started](std::string& list_json) {
            std::vector<storage::template_row> rows;
            auto list = json::parse(list_json, nullptr, false);
            if (list.is_array())
              for (const auto& t : list)
                if (auto r = row_of_meta(t, waba, started)) rows.push_back(std::move(*r));
            auto load = ++self->state.templates_loads;
            self->request(
                    self->state.svc->control_db, control_timeout, run_atom::value,
                    db_job{[id = self->state.row.id, waba, rows, started](pqxx::connection& c) {
                      pqxx::work tx{c};
                      auto changed = storage::replace_templates(tx, id, waba, rows, started);
                      tx.commit();
                      // The shelf from what is stored now, handed over with the answer.
                      pqxx::read_transaction read{c};
                      auto b = std::make_shared<templates::book>();
                      for (const auto& t : storage::templates_of(read, id, "", "", "", "", 0))
                        b->add(view_of(t));
                      return caf::make_message(static_cast<std::int64_t>(rows.size()),
                                               static_cast<std::int64_t>(changed),
                                               templates::book_ptr{std::move(b)});
                    }})
                .then(
                    [self, load](std::int64_t n, std::int64_t changed, templates::book_ptr& book) {
                      log::info("whatsapp.templates_synced", {{"project", self->state.row.id},
                                                              {"templates", n},
                                                              {"changed", changed}});
                      auto& s = self->state;
                      // Its snapshot may predate a change shelved meanwhile: then read again.
                      if (load < s.templates_shown) {
                        load_templates(self);
                      } else {
                        s.templates_shown = load;
                        s.templates->put(std::move(book));
                      }
                      if (changed > 0)
                        publish(self, "templates.synced", {{"templates", n}, {"changed", changed}});
                      end_sync(self, json{{"templates", n}}.dump());
                    },
                    [self](caf::error& err) { end_sync(self, err); });
          },
          [self](caf::error& err) {
            log::warn("whatsapp.templates_sync_failed",
                      {{"project", self->state.row.id}, {"reason", reason_of(err)}});
            end_sync(self, err);
          });
}

}  // namespace

caf::result<std::string> sync_templates(project_self self) {
  auto& st = self->state;
  if (!st.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  st.syncs_next.push_back(rp);
  if (!st.templates_syncing) run_sync(self);
  return rp;
}

void apply_template_webhook(pqxx::transaction_base& tx, const std::string& project_id,
                            const std::string& field, std::int64_t time, const json& value,
                            json& changed, bool& resync) {
  auto change = templates::change_of(field, value);
  if (!change) return;
  auto row =
      storage::lock_template(tx, project_id, change->meta_id, change->name, change->language);
  if (!row || change->resync) {
    // Made outside Paige, or before its creation's answer was stored: Meta's list has it.
    if (!change->deleted) resync = true;
    return;
  }
  if (change->deleted) {
    storage::remove_templates(tx, project_id, row->name, row->language);
    changed.push_back({{"name", row->name}, {"language", row->language}, {"deleted", true}});
    return;
  }
  auto before = view_of(*row);
  // Webhooks come in any order: a status older than the stored one's decision is history.
  if (change->status && time >= row->status_time) {
    row->status = *change->status;
    row->reason = change->reason;
    row->status_time = time;
  }
  if (change->quality) row->quality = *change->quality;
  if (change->category) row->category = *change->category;
  if (view_of(*row) == before) return;
  storage::save_template(tx, project_id, *row);
  changed.push_back(view_of(storage::lock_template(tx, project_id, row->meta_id, "", "").value()));
}

void templates_changed(project_self self, const json& changed, bool resync) {
  auto& st = self->state;
  for (const auto& c : changed) publish_change(self, c);
  if (!changed.empty()) shelve(self, changed);
  if (!resync || !st.number) return;
  if (st.templates_syncing)
    st.templates_sync_again = true;
  else
    run_sync(self);
}

void arm_template_sync(project_self self) {
  auto& st = self->state;
  if (st.templates_sync_armed || st.svc->template_sync_interval.count() <= 0) return;
  st.templates_sync_armed = true;
  // Spread over the interval: projects started together do not all read Meta at once.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  auto interval = st.svc->template_sync_interval;
  auto jitter = std::uniform_int_distribution<std::int64_t>{0, interval.count() / 4}(rng);
  self->delayed_send(self, interval + std::chrono::seconds{jitter}, templates_due_atom::value);
}

}  // namespace paige::actors
