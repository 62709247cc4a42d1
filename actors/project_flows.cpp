#include "actors/project_flows.hpp"

#include "actors/account_events.hpp"
#include "actors/core/flow_rules.hpp"
#include "actors/core/graph_result.hpp"
#include "actors/persistence.hpp"
#include "actors/project_steps.hpp"
#include "common/flow_crypto.hpp"
#include "common/log.hpp"
#include "common/secrets.hpp"
#include "storage/column_values.hpp"
#include "storage/flows.hpp"
#include "storage/table_errors.hpp"
#include "storage/table_schema.hpp"

#include <caf/all.hpp>
#include <pqxx/pqxx>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::flow_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(paige::storage::flow_key)

namespace paige::actors {
namespace {

using json = nlohmann::json;
using namespace project_steps;

json view_of(const storage::flow_row& f, bool with_json) {
  json out{{"id", f.meta_id},
           {"name", f.name},
           {"categories", json::parse(f.categories_json, nullptr, false)},
           {"endpoint_uri", f.endpoint_uri.empty() ? json(nullptr) : json(f.endpoint_uri)},
           {"status", f.status},
           {"validation_errors", json::parse(f.validation_errors_json, nullptr, false)},
           {"answers",
            f.answers_json.empty() ? json(nullptr) : json::parse(f.answers_json, nullptr, false)},
           {"data_sources", f.data_sources_json.empty()
                                ? json(nullptr)
                                : json::parse(f.data_sources_json, nullptr, false)},
           {"created_at", f.created_at},
           {"updated_at", f.updated_at}};
  if (with_json) out["flow_json"] = json::parse(f.flow_json, nullptr, false);
  return out;
}

/// What the endpoint needs of a Flow JSON (its first screen and routing model), not the whole
/// document: the flow shelf holds every flow of the project.
json screens_outline(const json& flow_json) {
  json out{{"screens", json::array()}};
  const auto& screens = member_of(flow_json, "screens");
  if (screens.is_array() && !screens.empty() && member_of(screens[0], "id").is_string())
    out["screens"].push_back({{"id", screens[0]["id"]}});
  if (member_of(flow_json, "routing_model").is_object())
    out["routing_model"] = flow_json["routing_model"];
  return out;
}

caf::error no_flow(const std::string& name) {
  return make_error(errc::not_found, "no flow '" + name + "'", api_code::flow_not_found);
}

caf::error wrong_state(const storage::flow_row& f, const std::string& what) {
  return make_error(errc::conflict, what + "; flow '" + f.name + "' is " + f.status,
                    api_code::flow_state);
}

/// Meta's validation errors in an answer, as the API lists problems.
std::string meta_problems(const json& answer) {
  auto errors = answer.is_object() ? answer.value("validation_errors", json::array()) : json();
  return problems_json(flows::problems_of_meta(errors, "/flow_json")).dump();
}

/// The stored flow `name`, to `ok` (a job's answer), or flow_not_found to `rp`.
template <class Ok>
void with_flow(project_self self, const std::string& name,
               caf::typed_response_promise<std::string> rp, Ok ok) {
  control(
      self,
      [id = self->state.row.id, name](pqxx::connection& c) {
        pqxx::work tx{c};
        return caf::make_message(storage::lock_flow(tx, id, name).value_or(storage::flow_row{}));
      },
      rp,
      [rp, name, ok](storage::flow_row& row) mutable {
        if (row.meta_id.empty()) return rp.deliver(no_flow(name)), void();
        ok(row);
      });
}

/// Puts a committed change on the flow shelf at once, in this actor's turn (a view, or null
/// `view` with `gone_id` for a deletion): a send or an endpoint request after the answer sees
/// it. A read of the stored flows begun before is dropped when it answers.
void shelve(project_self self, const json& view, const std::string& gone_id = "") {
  auto& st = self->state;
  ++st.flows_loads;
  auto next = std::make_shared<flows::catalog>(*st.flows->get());
  next->remove_id(view.is_object() ? view.value("id", "") : gone_id);
  if (view.is_object()) {
    auto field = [&view](const char* key) { return view.value(key, json()); };
    next->add(view.value("name", ""),
              {view.value("id", ""), view.value("status", ""), field("answers"),
               screens_outline(field("flow_json")), field("data_sources")});
  }
  st.flows->put(std::move(next));
}

/// Stores `row` (under its name: a rename replaces the old one) and answers its view.
void store(project_self self, storage::flow_row row, caf::typed_response_promise<std::string> rp) {
  control(
      self,
      [id = self->state.row.id, row](pqxx::connection& c) {
        pqxx::work tx{c};
        storage::save_flow(tx, id, row);
        auto stored = storage::lock_flow(tx, id, row.name);
        tx.commit();
        return caf::make_message(view_of(stored.value(), true).dump());
      },
      rp,
      [self, rp](std::string& view) mutable {
        auto v = json::parse(view);
        shelve(self, v);
        v.erase("flow_json");
        publish_project_event(self, "flow.updated", {{"flow", v}});
        rp.deliver(std::move(view));
      });
}

/// Makes the table an answers mapping writes into ready (`create_table`): created with the
/// columns fitting the flow's fields, or its missing columns added; then `then`. Nothing to do
/// without a mapping or without create_table.
template <class Then>
void prepare_answers_table(project_self self, const json& answers, const json& flow_json,
                           caf::typed_response_promise<std::string> rp, Then then) {
  if (!answers.is_object() || member_of(answers, "create_table") != true) return then();
  auto& st = self->state;
  if (!st.pipeline_ready)
    return rp.deliver(make_error(errc::conflict,
                                 "the project is " + storage::to_string(st.row.status),
                                 api_code::project_not_ready)),
           void();
  auto table = answers["table"].get<std::string>();
  auto columns = flows::answer_columns(answers, flow_json);
  tx_job job = [table, columns](pqxx::transaction_base& tx) {
    std::vector<storage::column_spec> wanted;
    for (const auto& c : columns) {
      storage::column_spec spec;
      spec.name = c["name"];
      spec.type = storage::parse_column_type(c["type"]).value_or(storage::column_type::text);
      wanted.push_back(std::move(spec));
    }
    // A refusal (a column name Paige keeps, a type that cannot be) is the answer, not an
    // exception: the batch it runs in goes on.
    std::string refused;
    tx.exec("SAVEPOINT paige_answers_table");
    try {
      auto existing = storage::describe_table(tx, table);
      if (!existing)
        storage::create_table(tx, table, wanted);
      else
        for (const auto& spec : wanted)
          if (!existing->column(spec.name)) storage::add_column(tx, table, spec);
    } catch (const storage::table_error& e) {
      refused = e.what();
    } catch (const pqxx::sql_error& e) {
      auto classified = storage::classify(e);
      refused = classified ? std::string{classified->what()} : "the table cannot be made";
    }
    tx.exec(refused.empty() ? "RELEASE SAVEPOINT paige_answers_table"
                            : "ROLLBACK TO SAVEPOINT paige_answers_table");
    return caf::make_message(std::move(refused));
  };
  self->request(st.conversation_ctx->persistence, std::chrono::seconds{30}, run_atom::value,
                st.row.id, std::move(job))
      .then(
          [rp, then, table](std::string& refused) mutable {
            if (refused.empty()) return then();
            rp.deliver(make_error(
                errc::invalid_argument, "table '" + table + "' for the answers: " + refused,
                api_code::invalid_flow,
                json{{"problems",
                      json::array({{{"pointer", "/answers/table"}, {"message", refused}}})}}
                    .dump()));
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
}

/// Sets the status Meta just took (an answer to publish or deprecate) and answers the view.
void set_status(project_self self, const storage::flow_row& row, const std::string& status,
                caf::typed_response_promise<std::string> rp) {
  auto updated = row;
  updated.status = status;
  updated.status_time = unix_now();
  store(self, std::move(updated), rp);
}

}  // namespace

void load_flows(project_self self) {
  auto& st = self->state;
  auto load = ++st.flows_loads;
  self->request(
          st.svc->control_db, control_timeout, run_atom::value,
          db_job{[id = st.row.id](pqxx::connection& c) {
            pqxx::read_transaction tx{c};
            auto book = std::make_shared<flows::catalog>();
            for (const auto& f : storage::flows_of(tx, id, "", "", 0))
              book->add(
                  f.name,
                  {f.meta_id, f.status,
                   f.answers_json.empty() ? json() : json::parse(f.answers_json, nullptr, false),
                   screens_outline(json::parse(f.flow_json, nullptr, false)),
                   f.data_sources_json.empty() ? json()
                                               : json::parse(f.data_sources_json, nullptr, false)});
            return caf::make_message(flows::catalog_ptr{std::move(book)});
          }})
      .then(
          [self, load](flows::catalog_ptr& c) {
            // A later read began since (after a later change): it has the newer flows.
            if (load == self->state.flows_loads) self->state.flows->put(std::move(c));
          },
          [self](caf::error& err) {
            log::warn("flows.load_failed",
                      {{"project", self->state.row.id}, {"reason", reason_of(err)}});
          });
}

caf::result<std::string> create_flow(project_self self, std::string body_json) {
  auto& st = self->state;
  if (!st.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  auto body = json::parse(body_json);
  auto name = body.value("name", "");
  control(
      self,
      [id = st.row.id, name](pqxx::connection& c) {
        pqxx::work tx{c};
        return caf::make_message(storage::lock_flow(tx, id, name).has_value());
      },
      rp,
      [self, rp, body, name](bool exists) mutable {
        if (exists)
          return rp.deliver(make_error(errc::conflict,
                                       "flow '" + name + "' exists: edit it, or delete it first",
                                       api_code::flow_exists)),
                 void();
        auto& st = self->state;
        if (!st.number) return rp.deliver(not_connected()), void();
        auto number = *st.number;
        auto endpoint = body.value("endpoint_uri", "");
        auto answers = member_of(body, "answers");
        json meta{{"name", name},
                  {"categories", body["categories"]},
                  {"flow_json", body["flow_json"].dump(2)}};
        if (!endpoint.empty()) meta["endpoint_uri"] = endpoint;
        auto make = [self, rp, body, name, number, endpoint, answers, meta]() mutable {
          ask_account(
              self, rp,
              [self, rp, body, name, number, endpoint, answers](std::string& answer_json) mutable {
                auto answer = json::parse(answer_json, nullptr, false);
                storage::flow_row r;
                r.name = name;
                r.meta_id = string_member(answer, "id");
                r.waba_id = number.waba_id;
                r.categories_json = body["categories"].dump();
                r.flow_json = body["flow_json"].dump();
                r.endpoint_uri = endpoint;
                r.status = "DRAFT";
                r.validation_errors_json = meta_problems(answer);
                if (answers.is_object()) r.answers_json = answers.dump();
                if (member_of(body, "data_sources").is_object())
                  r.data_sources_json = body["data_sources"].dump();
                store(self, std::move(r), rp);
              },
              flow_create_atom::value, number, meta.dump());
        };
        // The answers' table first: a flow whose table cannot be made is not made at Meta.
        prepare_answers_table(self, answers, body["flow_json"], rp, make);
      });
  return rp;
}

caf::result<std::string> list_flows(project_self self, std::string status, std::string after,
                                    int limit) {
  auto rp = self->make_response_promise<std::string>();
  control(
      self,
      [id = self->state.row.id, status, after, limit](pqxx::connection& c) {
        pqxx::read_transaction tx{c};
        // One more than asked tells whether another page follows.
        auto rows = storage::flows_of(tx, id, status, after, limit + 1);
        json out{{"items", json::array()}, {"next", nullptr}};
        bool more = static_cast<int>(rows.size()) > limit;
        if (more) rows.pop_back();
        for (const auto& r : rows) out["items"].push_back(view_of(r, false));
        if (more) out["next"] = rows.back().name;
        return caf::make_message(out.dump());
      },
      rp, [rp](std::string& page) mutable { rp.deliver(std::move(page)); });
  return rp;
}

caf::result<std::string> get_flow(project_self self, std::string name) {
  auto rp = self->make_response_promise<std::string>();
  with_flow(self, name, rp,
            [rp](const storage::flow_row& row) mutable { rp.deliver(view_of(row, true).dump()); });
  return rp;
}

caf::result<std::string> edit_flow(project_self self, std::string name, std::string patch_json) {
  if (!self->state.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  auto patch = json::parse(patch_json);
  auto new_name = patch.value("name", name);
  control(
      self,
      [id = self->state.row.id, name, new_name](pqxx::connection& c) {
        pqxx::work tx{c};
        auto row = storage::lock_flow(tx, id, name).value_or(storage::flow_row{});
        bool taken = new_name != name && storage::lock_flow(tx, id, new_name).has_value();
        return caf::make_message(std::move(row), taken);
      },
      rp,
      [self, rp, patch, name, new_name](storage::flow_row& row, bool taken) mutable {
        if (row.meta_id.empty()) return rp.deliver(no_flow(name)), void();
        // Where answers go is Paige's alone: it changes whatever Meta's status.
        bool answers_only = std::all_of(patch.items().begin(), patch.items().end(), [](auto kv) {
          return kv.key() == "answers" || kv.key() == "data_sources";
        });
        if (row.status != "DRAFT" && !answers_only)
          return rp.deliver(wrong_state(row,
                                        "Meta changes only a DRAFT: make a new flow (where "
                                        "its answers go changes alone)")),
                 void();
        if (taken)
          return rp.deliver(make_error(errc::conflict, "flow '" + new_name + "' exists",
                                       api_code::flow_exists)),
                 void();
        if (!self->state.number) return rp.deliver(not_connected()), void();
        auto number = *self->state.number;
        json meta = json::object();
        for (const char* key : {"name", "categories", "endpoint_uri"})
          if (patch.contains(key)) meta[key] = patch[key];
        auto updated = row;
        updated.name = new_name;
        if (patch.contains("categories")) updated.categories_json = patch["categories"].dump();
        if (patch.contains("endpoint_uri")) updated.endpoint_uri = patch["endpoint_uri"];
        if (patch.contains("answers"))
          updated.answers_json = patch["answers"].is_object() ? patch["answers"].dump() : "";
        if (patch.contains("data_sources"))
          updated.data_sources_json =
              patch["data_sources"].is_object() ? patch["data_sources"].dump() : "";
        // Then the Flow JSON, if it changes: Meta answers the problems it finds in it.
        auto upload = [self, rp, patch, number, updated](std::string&) mutable {
          if (!patch.contains("flow_json")) return store(self, std::move(updated), rp);
          updated.flow_json = patch["flow_json"].dump();
          ask_account(
              self, rp,
              [self, rp, updated](std::string& answer_json) mutable {
                updated.validation_errors_json =
                    meta_problems(json::parse(answer_json, nullptr, false));
                store(self, std::move(updated), rp);
              },
              flow_asset_atom::value, number, updated.meta_id, patch["flow_json"].dump(2));
        };
        auto send = [self, rp, meta, upload, number, meta_id = row.meta_id]() mutable {
          if (meta.empty()) {
            std::string none;
            return upload(none);
          }
          ask_account(self, rp, upload, flow_call_atom::value, number, meta_id,
                      std::string{"update"}, meta.dump());
        };
        auto answers = updated.answers_json.empty() ? json() : json::parse(updated.answers_json);
        auto flow_json = patch.contains("flow_json") ? patch["flow_json"]
                                                     : json::parse(row.flow_json, nullptr, false);
        if (!patch.contains("answers") && !patch.contains("flow_json")) return send();
        prepare_answers_table(self, answers, flow_json, rp, send);
      });
  return rp;
}

caf::result<std::string> delete_flow(project_self self, std::string name) {
  if (!self->state.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  with_flow(self, name, rp, [self, rp](const storage::flow_row& row) mutable {
    if (row.status != "DRAFT")
      return rp.deliver(wrong_state(row, "Meta deletes only a DRAFT: deprecate a published flow")),
             void();
    if (!self->state.number) return rp.deliver(not_connected()), void();
    ask_account(
        self, rp,
        [self, rp, row](std::string&) mutable {
          control(
              self,
              [id = self->state.row.id, name = row.name](pqxx::connection& c) {
                pqxx::work tx{c};
                storage::remove_flow(tx, id, name);
                tx.commit();
                return caf::make_message(true);
              },
              rp,
              [self, rp, row](bool) mutable {
                shelve(self, json(), row.meta_id);
                publish_project_event(self, "flow.deleted",
                                      {{"name", row.name}, {"id", row.meta_id}});
                rp.deliver(json{{"deleted", true}}.dump());
              });
        },
        flow_call_atom::value, *self->state.number, row.meta_id, std::string{"delete"},
        std::string{});
  });
  return rp;
}

caf::result<std::string> publish_flow(project_self self, std::string name) {
  if (!self->state.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  with_flow(self, name, rp, [self, rp](const storage::flow_row& row) mutable {
    if (row.status != "DRAFT")
      return rp.deliver(wrong_state(row, "only a DRAFT is published")), void();
    auto problems = json::parse(row.validation_errors_json, nullptr, false);
    if (problems.is_array() && !problems.empty())
      return rp.deliver(make_error(
                 errc::invalid_argument,
                 "Meta found problems in flow '" + row.name + "': fix its flow_json first",
                 api_code::invalid_flow, json{{"problems", problems}}.dump())),
             void();
    if (!self->state.number) return rp.deliver(not_connected()), void();
    ask_account(
        self, rp,
        [self, rp, row](std::string&) mutable {
          log::info("whatsapp.flow_published",
                    {{"project", self->state.row.id}, {"flow_id", row.meta_id}});
          set_status(self, row, "PUBLISHED", rp);
        },
        flow_call_atom::value, *self->state.number, row.meta_id, std::string{"publish"},
        std::string{});
  });
  return rp;
}

caf::result<std::string> deprecate_flow(project_self self, std::string name) {
  if (!self->state.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  with_flow(self, name, rp, [self, rp](const storage::flow_row& row) mutable {
    if (row.status != "PUBLISHED" && row.status != "BLOCKED" && row.status != "THROTTLED")
      return rp.deliver(wrong_state(row, "only a published flow is deprecated")), void();
    if (!self->state.number) return rp.deliver(not_connected()), void();
    ask_account(
        self, rp,
        [self, rp, row](std::string&) mutable { set_status(self, row, "DEPRECATED", rp); },
        flow_call_atom::value, *self->state.number, row.meta_id, std::string{"deprecate"},
        std::string{});
  });
  return rp;
}

caf::result<std::string> flow_preview(project_self self, std::string name) {
  if (!self->state.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  with_flow(self, name, rp, [self, rp](const storage::flow_row& row) mutable {
    if (!self->state.number) return rp.deliver(not_connected()), void();
    ask_account(
        self, rp,
        [rp](std::string& answer_json) mutable {
          auto answer = json::parse(answer_json, nullptr, false);
          auto preview = answer.is_object() ? answer.value("preview", json()) : json();
          if (!preview.is_object() || string_member(preview, "preview_url").empty())
            return rp.deliver(make_error(errc::upstream, "Meta's answer has no preview link",
                                         api_code::graph_unavailable)),
                   void();
          rp.deliver(json{{"preview_url", preview["preview_url"]},
                          {"expires_at", preview.value("expires_at", json(nullptr))}}
                         .dump());
        },
        flow_call_atom::value, *self->state.number, row.meta_id, std::string{"preview"},
        std::string{});
  });
  return rp;
}

namespace {

caf::error no_key() {
  return make_error(errc::not_found,
                    "the number has no key for its flows' endpoint: PUT .../whatsapp/flows-key",
                    api_code::flow_key_missing);
}

json key_view(const storage::flow_key& k, const json& meta) {
  auto status = string_member(meta, "business_public_key_signature_status");
  return {{"phone_number_id", k.phone_number_id},
          {"public_key", k.public_key},
          {"signature_status", status.empty() ? json(nullptr) : json(status)},
          {"created_at", k.created_at}};
}

/// The stored key to `ok`, or flow_key_missing to `rp`.
template <class Ok>
void with_key(project_self self, caf::typed_response_promise<std::string> rp, Ok ok) {
  control(
      self,
      [id = self->state.row.id](pqxx::connection& c) {
        pqxx::read_transaction tx{c};
        return caf::make_message(storage::flow_key_of(tx, id).value_or(storage::flow_key{}));
      },
      rp,
      [rp, ok](storage::flow_key& k) mutable {
        if (k.public_key.empty()) return rp.deliver(no_key()), void();
        ok(k);
      });
}

}  // namespace

caf::result<std::string> flow_key_view(project_self self) {
  if (!self->state.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  with_key(self, rp, [self, rp](const storage::flow_key& k) mutable {
    if (!self->state.number) return rp.deliver(not_connected()), void();
    ask_account(
        self, rp,
        [rp, k](std::string& meta) mutable {
          rp.deliver(key_view(k, json::parse(meta, nullptr, false)).dump());
        },
        flow_key_atom::value, *self->state.number);
  });
  return rp;
}

caf::result<std::string> make_flow_key(project_self self) {
  auto& st = self->state;
  if (!st.number) return not_connected();
  auto rp = self->make_response_promise<std::string>();
  auto number = *st.number;
  // Made on the control database's thread: a 2048-bit key takes a while, the actor goes on.
  control(
      self,
      [id = st.row.id, number_id = number.phone_number_id,
       master = st.svc->master_key](pqxx::connection& c) {
        auto pair = flow_crypto::make_key_pair();
        storage::flow_key k{number_id, secrets::seal(master, pair.private_pem), pair.public_pem,
                            ""};
        pqxx::work tx{c};
        storage::save_flow_key(tx, id, k);
        auto stored = storage::flow_key_of(tx, id);
        tx.commit();
        return caf::make_message(stored.value());
      },
      rp,
      [self, rp, number](storage::flow_key& k) mutable {
        self->state.flow_private_pem.clear();  // the new one is read when asked for
        ask_account(
            self, rp,
            [rp, k](std::string& meta) mutable {
              rp.deliver(key_view(k, json::parse(meta, nullptr, false)).dump());
            },
            flow_key_atom::value, number, k.public_key);
      });
  return rp;
}

caf::result<std::string> flow_private_key(project_self self) {
  if (!self->state.flow_private_pem.empty()) return self->state.flow_private_pem;
  auto rp = self->make_response_promise<std::string>();
  with_key(self, rp, [self, rp](const storage::flow_key& k) mutable {
    try {
      self->state.flow_private_pem =
          secrets::unseal(self->state.svc->master_key, k.private_key_sealed);
    } catch (const std::exception&) {
      return rp.deliver(make_error(errc::internal, "the flows key does not unseal")), void();
    }
    rp.deliver(self->state.flow_private_pem);
  });
  return rp;
}

caf::result<std::string> flow_session(project_self self, std::string flow_token) {
  auto& st = self->state;
  if (!st.pipeline_ready)
    return make_error(errc::conflict, "the project is " + storage::to_string(st.row.status),
                      api_code::project_not_ready);
  // The flow the token names, as the endpoint needs it (the flow shelf: no database read).
  auto book = st.flows->get();
  const auto* f = book->find(bot::flow_name_of_token(flow_token));
  json flow = f ? json{{"flow_json", f->flow_json}, {"data_sources", f->data_sources}} : json();
  auto rp = self->make_response_promise<std::string>();
  tx_job job = [flow_token](pqxx::transaction_base& tx) {
    return caf::make_message(storage::flow_token_sent(tx, flow_token));
  };
  self->request(st.conversation_ctx->persistence, std::chrono::seconds{5}, run_atom::value,
                st.row.id, std::move(job))
      .then(
          [rp, flow](bool sent) mutable {
            rp.deliver(json{{"known", sent && !flow.is_null()}, {"flow", flow}}.dump());
          },
          [rp](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

void apply_flow_webhook(pqxx::transaction_base& tx, const std::string& project_id,
                        std::int64_t time, const json& value, json& changed) {
  if (!value.is_object()) return;
  auto event = string_member(value, "event");
  auto flow_id = value.value("flow_id", json());
  auto id = flow_id.is_number_unsigned() ? std::to_string(flow_id.get<std::uint64_t>())
                                         : string_member(value, "flow_id");
  if (event != "FLOW_STATUS_CHANGE") {
    changed.push_back({{"alert", value}});  // an endpoint alert: told, nothing stored
    return;
  }
  auto status = string_member(value, "new_status");
  if (id.empty() || status.empty()) return;
  if (auto row = storage::set_flow_status(tx, project_id, id, status, time))
    changed.push_back(view_of(*row, false));
}

void flows_changed(project_self self, const json& changed) {
  if (!changed.empty()) load_flows(self);
  for (const auto& c : changed) {
    if (c.contains("alert"))
      publish_project_event(self, "flow.alert", c["alert"]);
    else
      publish_project_event(self, "flow.updated", {{"flow", c}});
  }
}

}  // namespace paige::actors
