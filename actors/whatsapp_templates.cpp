// The account actor's message-template calls (whatsapp_account.hpp): Meta's templates API
// (spec/meta-cloud-api.md §8) on the number's WABA.
#include "actors/whatsapp_account_steps.hpp"

#include "actors/core/graph_result.hpp"
#include "actors/errors.hpp"
#include "common/log.hpp"

#include <memory>

namespace paige::actors::account {
namespace {

using json = nlohmann::json;

/// Meta's list is read in pages of this many, and at most this many pages (Meta allows
/// 6,000 templates a WABA).
constexpr int page_size = 100;
constexpr int max_pages = 100;

const std::string list_fields =
    "?fields=id,name,language,status,category,components,parameter_format,quality_score,"
    "rejected_reason&limit=" +
    std::to_string(page_size);

std::string token_of(self_ptr self, const storage::number_row& n) {
  return secrets::unseal(self->state.svc->master_key, n.access_token_sealed);
}

}  // namespace

caf::result<std::string> create_template(self_ptr self, const storage::number_row& n,
                                         const std::string& body_json) {
  auto rp = self->make_response_promise<std::string>();
  graph_step(
      self, "POST", "/" + n.waba_id + "/message_templates", token_of(self, n), body_json,
      [self, rp](const json& answer) mutable {
        if (string_member(answer, "id").empty()) {
          rp.deliver(make_error(errc::upstream, "Meta's answer has no template id",
                                api_code::graph_unavailable));
          return;
        }
        log::info("whatsapp.template_created", {{"project", self->state.project_id},
                                                {"template_id", string_member(answer, "id")}});
        rp.deliver(answer.dump());
      },
      [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<std::string> list_templates(self_ptr self, const storage::number_row& n) {
  auto rp = self->make_response_promise<std::string>();
  auto all = std::make_shared<json>(json::array());
  auto token = token_of(self, n);
  auto base = "/" + n.waba_id + "/message_templates" + list_fields;
  // One page, then the next after it (Meta's cursor) while Meta says there is a next.
  auto next = std::make_shared<std::function<void(std::string, int)>>();
  *next = [self, rp, all, token, base, next](std::string after, int pages) mutable {
    graph_step(
        self, "GET", base + (after.empty() ? "" : "&after=" + url_text::percent_encode(after)),
        token, "",
        [self, rp, all, next, pages](const json& answer) mutable {
          auto data = answer.is_object() ? answer.value("data", json()) : json();
          if (!data.is_array()) {
            rp.deliver(make_error(errc::upstream, "Meta's template list has no data",
                                  api_code::graph_unavailable));
            *next = nullptr;
            return;
          }
          for (auto& t : data) all->push_back(std::move(t));
          // Meta's paging, whatever its shape: a page without a usable one is the last.
          auto paging = answer.value("paging", json());
          auto cursors = paging.is_object() ? paging.value("cursors", json()) : json();
          auto cursor = string_member(cursors, "after");
          if (paging.is_object() && paging.contains("next") && !cursor.empty() &&
              pages + 1 < max_pages)
            return (*next)(cursor, pages + 1);
          rp.deliver(all->dump());
          *next = nullptr;  // the cycle through the captured pointer ends here
        },
        [rp, next](caf::error err) mutable {
          rp.deliver(std::move(err));
          *next = nullptr;
        });
  };
  (*next)("", 0);
  return rp;
}

caf::result<bool> edit_template(self_ptr self, const storage::number_row& n,
                                const std::string& meta_id, const std::string& body_json) {
  auto rp = self->make_response_promise<bool>();
  graph_step(
      self, "POST", "/" + meta_id, token_of(self, n), body_json,
      [rp](const json&) mutable { rp.deliver(true); },
      [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<bool> delete_template(self_ptr self, const storage::number_row& n,
                                  const std::string& name, const std::string& meta_id) {
  auto rp = self->make_response_promise<bool>();
  auto path = "/" + n.waba_id + "/message_templates?name=" + url_text::percent_encode(name);
  if (!meta_id.empty()) path += "&hsm_id=" + url_text::percent_encode(meta_id);
  graph_step(
      self, "DELETE", path, token_of(self, n), "", [rp](const json&) mutable { rp.deliver(true); },
      [rp](caf::error err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

}  // namespace paige::actors::account
