#include "api/webhook_codec.hpp"

#include "common/json_text.hpp"
#include "common/secrets.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <unordered_map>

namespace paige::api {
namespace {

using json = nlohmann::json;

std::string str(const json& obj, const char* key) {
  if (!obj.is_object() || !obj.contains(key)) return {};
  const auto& v = obj[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return {};
}

/// `s` with every NUL replaced by U+FFFD: Postgres stores no NUL (jsonb refuses "\u0000",
/// libpq ends a parameter there), so a message holding one could never be stored, answered
/// 503 for ever and redelivered for days.
std::string without_nul(std::string s) {
  for (auto at = s.find('\0'); at != std::string::npos; at = s.find('\0', at + 3))
    s.replace(at, 1, "\xEF\xBF\xBD");
  return s;
}

void scrub_nul(nlohmann::json& j) {
  if (j.is_string()) {
    j = without_nul(j.get<std::string>());
  } else if (j.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto& [k, v] : j.items()) {
      scrub_nul(v);
      out[without_nul(k)] = std::move(v);
    }
    j = std::move(out);
  } else if (j.is_array()) {
    for (auto& v : j) scrub_nul(v);
  }
}

/// A message (or errors) object as stored: its JSON text, NUL characters replaced (see
/// without_nul).
std::string storable(const nlohmann::json& message) {
  auto text = message.dump();
  if (text.find("\\u0000") == std::string::npos) return text;  // the usual case: nothing to scrub
  auto copy = message;
  scrub_nul(copy);
  return copy.dump();
}

/// An inbound message's fields, NUL-free.
actors::inbound_message inbound_of(const nlohmann::json& m, const std::string& profile_name) {
  return {without_nul(str(m, "id")),   without_nul(str(m, "from")),      without_nul(profile_name),
          without_nul(str(m, "type")), without_nul(str(m, "timestamp")), storable(m)};
}

/// obj[key] when obj is an object holding it; null otherwise.
const json& member(const json& obj, const char* key) {
  static const json none;
  if (!obj.is_object()) return none;
  auto it = obj.find(key);
  return it == obj.end() ? none : *it;
}

/// obj[key] when it is a string; empty otherwise.
std::string text(const json& obj, const char* key) {
  const auto& v = member(obj, key);
  return v.is_string() ? v.get<std::string>() : std::string{};
}

/// value[key] when it is a list; an empty list when absent; nullptr when it is something else.
const json* list_of(const json& value, const char* key) {
  static const json empty = json::array();
  if (!value.contains(key)) return &empty;
  return value[key].is_array() ? &value[key] : nullptr;
}

/// A change of a field other than messages; its key hashes everything Meta sent of it, so a
/// redelivery (the same bytes) has the same key and a new change another.
actors::account_change account_change_of(const std::string& waba_id, const json& time,
                                         const json& field, const json& value) {
  actors::account_change c;
  c.waba_id = waba_id;
  c.field = without_nul(field.get<std::string>());
  if (time.is_number_integer())
    c.time = time.get<std::int64_t>();
  else if (time.is_string() && !time.get<std::string>().empty() &&
           time.get<std::string>().size() < 12 &&
           std::all_of(time.get<std::string>().begin(), time.get<std::string>().end(),
                       [](unsigned char ch) { return std::isdigit(ch) != 0; }))
    c.time = std::stoll(time.get<std::string>());
  c.value_json = storable(value);
  c.dedupe_key = secrets::sha256_hex(c.field + '\n' + c.waba_id + '\n' + std::to_string(c.time) +
                                     '\n' + c.value_json);
  return c;
}

}  // namespace

bool valid_signature(std::string_view app_secret, std::string_view body, std::string_view header) {
  constexpr std::string_view prefix = "sha256=";
  if (header.size() != prefix.size() + 64 || header.substr(0, prefix.size()) != prefix)
    return false;
  std::string given{header.substr(prefix.size())};
  std::transform(given.begin(), given.end(), given.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return secrets::constant_time_equal(secrets::hmac_sha256_hex(app_secret, body), given);
}

std::variant<webhook_events, std::string> parse_webhook_document(const std::string& body) {
  if (json_text::nested_deeper_than(body, max_webhook_depth))
    return "the body is nested deeper than " + std::to_string(max_webhook_depth) + " levels";
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) return std::string{"the body is not JSON"};
  if (!doc.is_object() || text(doc, "object") != "whatsapp_business_account")
    return std::string{"'object' must be \"whatsapp_business_account\""};
  if (!doc.contains("entry") || !doc["entry"].is_array())
    return std::string{"'entry' must be a list"};
  webhook_events out;
  std::unordered_map<std::string, std::size_t> index;  // phone_number_id → position in out.numbers
  for (const auto& entry : doc["entry"]) {
    if (!entry.is_object() || !entry.contains("changes") || !entry["changes"].is_array())
      return std::string{"every entry needs a 'changes' list"};
    for (const auto& change : entry["changes"]) {
      if (!change.is_object() || !change.contains("value") || !change["value"].is_object())
        return std::string{"every change needs a 'value' object"};
      const auto& field = member(change, "field");
      if (!field.is_string() || field.get<std::string>().empty())
        return std::string{"every change needs a 'field'"};
      if (field != "messages") {
        auto waba = without_nul(str(entry, "id"));
        if (waba.empty())
          return std::string{"an entry with changes other than messages needs its WABA 'id'"};
        out.account.push_back(
            account_change_of(waba, member(entry, "time"), field, change["value"]));
        continue;
      }
      const auto& value = change["value"];
      auto number = str(member(value, "metadata"), "phone_number_id");
      if (number.empty()) return std::string{"a messages change needs metadata.phone_number_id"};
      auto [it, fresh] = index.emplace(number, out.numbers.size());
      if (fresh) out.numbers.push_back({number, {}, {}, {}});
      auto& batch = out.numbers[it->second];

      const json* contacts = list_of(value, "contacts");
      const json* messages = list_of(value, "messages");
      const json* statuses = list_of(value, "statuses");
      const json* errors = list_of(value, "errors");
      if (!contacts || !messages || !statuses || !errors)
        return std::string{"'contacts', 'messages', 'statuses' and 'errors' must be lists"};
      std::unordered_map<std::string, std::string> names;
      for (const auto& c : *contacts) names[str(c, "wa_id")] = str(member(c, "profile"), "name");
      for (const auto& m : *messages) {
        auto n = names.find(str(m, "from"));
        auto msg = inbound_of(m, n == names.end() ? std::string{} : n->second);
        if (msg.wamid.empty() || msg.from.empty() || msg.type.empty())
          return std::string{"every message needs 'id', 'from' and 'type'"};
        batch.messages.push_back(std::move(msg));
      }
      for (const auto& s : *statuses) {
        actors::status_update st{without_nul(str(s, "id")),
                                 without_nul(str(s, "status")),
                                 without_nul(str(s, "timestamp")),
                                 without_nul(str(s, "recipient_id")),
                                 {}};
        if (st.wamid.empty() || st.status.empty())
          return std::string{"every status needs 'id' and 'status'"};
        if (s.contains("errors")) st.errors_json = storable(s["errors"]);
        batch.statuses.push_back(std::move(st));
      }
      for (const auto& e : *errors) batch.errors_json.push_back(e.dump());
    }
  }
  return out;
}

namespace {

/// Reads the usual envelope in one pass, without a document: three of a message's four
/// webhooks are statuses, and a document of one cost about fifty allocations. It takes only
/// shapes it fully understands, and reads them as parse_webhook_document does; on anything
/// else (an error, an unusual type, a repeated key) it bails out and parse_webhook_document
/// reads the body, so the two readings always agree. Messages and errors are kept whole, so
/// they are still read as documents.
class envelope_scanner : public nlohmann::json_sax<json> {
 public:
  bool bailed() const { return bailed_; }

  /// The events, or nullopt when the envelope is invalid (parse_webhook_document says why).
  std::optional<webhook_events> result();

  // -- json_sax --------------------------------------------------------------------------

  bool null() override { return capturing() ? feed(dom_->null()) : scalar(other_value, nullptr); }
  bool boolean(bool v) override {
    return capturing() ? feed(dom_->boolean(v)) : scalar(other_value, nullptr);
  }
  bool number_integer(number_integer_t v) override {
    if (capturing()) return feed(dom_->number_integer(v));
    auto text = std::to_string(v);
    return scalar(integer_value, &text);
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (capturing()) return feed(dom_->number_unsigned(v));
    auto text = std::to_string(v);
    return scalar(integer_value, &text);
  }
  bool number_float(number_float_t v, const string_t& raw) override {
    return capturing() ? feed(dom_->number_float(v, raw)) : scalar(other_value, nullptr);
  }
  bool string(string_t& v) override {
    return capturing() ? feed(dom_->string(v)) : scalar(string_value, &v);
  }
  bool binary(binary_t&) override { return bail(); }
  bool key(string_t& k) override {
    if (capturing()) return feed(dom_->key(k));
    auto& f = frames_.back();
    f.key = key_of(f.what, k);
    if (f.key == unknown) return true;
    if (f.seen & bit(f.key)) return bail();  // a repeated key: the document keeps the last
    f.seen |= bit(f.key);
    return true;
  }
  bool start_object(std::size_t n) override {
    if (!capturing()) return open(true, n);
    ++depth_;
    return feed(dom_->start_object(n));
  }
  bool start_array(std::size_t n) override {
    if (!capturing()) return open(false, n);
    ++depth_;
    return feed(dom_->start_array(n));
  }
  bool end_object() override {
    if (!capturing()) return close();
    --depth_;
    return feed(dom_->end_object());
  }
  bool end_array() override {
    if (!capturing()) return close();
    --depth_;
    return feed(dom_->end_array());
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return bail();
  }

 private:
  /// What the object or array being read is.
  enum class part {
    root,
    entries,
    entry,
    changes,
    change,
    value,
    metadata,
    contacts,
    contact,
    profile,
    messages,
    statuses,
    status,
    errors,
    skipped
  };
  enum value_type { string_value, integer_value, other_value };
  enum known_key : int {
    unknown = -1,
    k_object,
    k_entry,
    k_changes,
    k_field,
    k_value,
    k_metadata,
    k_contacts,
    k_messages,
    k_statuses,
    k_errors,
    k_phone_number_id,
    k_wa_id,
    k_profile,
    k_name,
    k_id,
    k_status,
    k_timestamp,
    k_recipient_id
  };
  struct frame {
    part what;
    int key = unknown;  ///< the member being read (objects)
    unsigned seen = 0;  ///< known keys met so far (objects)
  };
  struct change_data {
    bool value_seen = false;
    std::string field;
    std::string number;
    std::vector<std::pair<std::string, std::string>> contacts;  ///< (wa_id, profile name)
    std::vector<json> messages;
    std::vector<actors::status_update> statuses;
    std::vector<std::string> errors;
  };
  /// What a document read whole becomes.
  enum class target { message, value_error, status_errors };

  static int key_of(part p, const std::string& name) {
    auto is = [&](const char* s) { return name == s; };
    switch (p) {
      case part::root:
        return is("object") ? k_object : is("entry") ? k_entry : unknown;
      case part::entry:
        return is("changes") ? k_changes : unknown;
      case part::change:
        return is("field") ? k_field : is("value") ? k_value : unknown;
      case part::value:
        return is("metadata")   ? k_metadata
               : is("contacts") ? k_contacts
               : is("messages") ? k_messages
               : is("statuses") ? k_statuses
               : is("errors")   ? k_errors
                                : unknown;
      case part::metadata:
        return is("phone_number_id") ? k_phone_number_id : unknown;
      case part::contact:
        return is("wa_id") ? k_wa_id : is("profile") ? k_profile : unknown;
      case part::profile:
        return is("name") ? k_name : unknown;
      case part::status:
        return is("id")             ? k_id
               : is("status")       ? k_status
               : is("timestamp")    ? k_timestamp
               : is("recipient_id") ? k_recipient_id
               : is("errors")       ? k_errors
                                    : unknown;
      default:
        return unknown;
    }
  }

  static unsigned bit(int key) { return 1u << key; }

  bool bail() {
    bailed_ = true;
    return false;
  }

  bool push(part p) {
    frames_.push_back({p});
    return true;
  }

  /// An object or array ends; an entry must have had its changes.
  bool close() {
    const auto f = frames_.back();
    frames_.pop_back();
    if (f.what == part::root) root_seen_ = f.seen;
    if (f.what == part::entry && !(f.seen & bit(k_changes))) return bail();
    return true;
  }

  // -- documents read whole ----------------------------------------------------------------

  bool capturing() const { return dom_.has_value(); }

  /// Passes on the document parser's verdict; the document is whole when its depth is 0.
  bool feed(bool ok) {
    if (!ok) return bail();
    if (depth_ == 0) finish_capture();
    return true;
  }

  bool capture(target t, bool object, std::size_t n) {
    captured_ = json{};
    dom_.emplace(captured_, false);
    target_ = t;
    depth_ = 1;
    return feed(object ? dom_->start_object(n) : dom_->start_array(n));
  }

  void finish_capture() {
    dom_.reset();
    auto& change = changes_.back();
    switch (target_) {
      case target::message:
        change.messages.push_back(std::move(captured_));
        break;
      case target::value_error:
        change.errors.push_back(captured_.dump());
        break;
      case target::status_errors:
        change.statuses.back().errors_json = storable(captured_);
        break;
    }
  }

  // -- the envelope ------------------------------------------------------------------------

  /// An object or array starts: what it is depends on where it is.
  bool open(bool object, std::size_t n) {
    if (frames_.empty()) return object ? push(part::root) : bail();
    const int key = frames_.back().key;
    auto object_as = [&](part p) { return object ? push(p) : bail(); };
    auto array_as = [&](part p) { return object ? bail() : push(p); };
    switch (frames_.back().what) {
      case part::skipped:
        return push(part::skipped);
      case part::root:
        if (key == k_entry) return array_as(part::entries);
        return key == unknown ? push(part::skipped) : bail();
      case part::entries:
        return object_as(part::entry);
      case part::entry:
        return key == k_changes ? array_as(part::changes) : push(part::skipped);
      case part::changes:
        if (!object) return bail();
        changes_.emplace_back();
        return push(part::change);
      case part::change:
        if (key == k_value && object) return changes_.back().value_seen = true, push(part::value);
        return key == unknown ? push(part::skipped) : bail();
      case part::value:
        switch (key) {
          case k_metadata:
            return object_as(part::metadata);
          case k_contacts:
            return array_as(part::contacts);
          case k_messages:
            return array_as(part::messages);
          case k_statuses:
            return array_as(part::statuses);
          case k_errors:
            return array_as(part::errors);
          default:
            return push(part::skipped);
        }
      case part::contacts:
        if (!object) return bail();
        changes_.back().contacts.emplace_back();
        return push(part::contact);
      case part::contact:
        if (key == k_profile) return object_as(part::profile);
        return key == unknown ? push(part::skipped) : bail();
      case part::messages:
        return capture(target::message, object, n);
      case part::errors:
        return capture(target::value_error, object, n);
      case part::statuses:
        if (!object) return bail();
        changes_.back().statuses.emplace_back();
        return push(part::status);
      case part::status:
        if (key == k_errors) return capture(target::status_errors, object, n);
        return key == unknown ? push(part::skipped) : bail();
      default:
        return key == unknown ? push(part::skipped) : bail();
    }
  }

  /// A string, number, boolean or null: kept if it is a field the events need, skipped if
  /// it is a member no one reads; anywhere else it is an unusual shape.
  bool scalar(value_type type, const std::string* text) {
    if (frames_.empty()) return bail();
    const auto& f = frames_.back();
    if (f.what == part::skipped) return true;
    const bool is_string = type == string_value, is_text = type != other_value;
    switch (f.what) {
      case part::root:
        if (f.key == k_object && is_string) return object_ = *text, true;
        break;
      case part::change:
        if (f.key == k_field && is_string) return changes_.back().field = *text, true;
        break;
      case part::metadata:
        if (f.key == k_phone_number_id && is_text) return changes_.back().number = *text, true;
        break;
      case part::contact:
        if (f.key == k_wa_id && is_text) return changes_.back().contacts.back().first = *text, true;
        break;
      case part::profile:
        if (f.key == k_name && is_text) return changes_.back().contacts.back().second = *text, true;
        break;
      case part::status: {
        if (!is_text) break;
        auto& st = changes_.back().statuses.back();
        switch (f.key) {
          case k_id:
            return st.wamid = *text, true;
          case k_status:
            return st.status = *text, true;
          case k_timestamp:
            return st.timestamp = *text, true;
          case k_recipient_id:
            return st.recipient_id = *text, true;
          default:
            break;
        }
        break;
      }
      case part::entries:
      case part::changes:
      case part::contacts:
      case part::messages:
      case part::statuses:
      case part::errors:
        return bail();  // an element of a list: those are objects here
      default:
        break;
    }
    return f.key == unknown ? true : bail();
  }

  std::vector<frame> frames_;
  std::vector<change_data> changes_;
  std::string object_;
  json captured_;
  std::optional<nlohmann::detail::json_sax_dom_parser<json>> dom_;
  target target_ = target::message;
  int depth_ = 0;
  unsigned root_seen_ = 0;
  bool bailed_ = false;
};

std::optional<webhook_events> envelope_scanner::result() {
  if (!(root_seen_ & bit(k_object)) || object_ != "whatsapp_business_account" ||
      !(root_seen_ & bit(k_entry)))
    return std::nullopt;
  webhook_events out;
  std::unordered_map<std::string, std::size_t> index;  // phone_number_id → position in out.numbers
  for (auto& change : changes_) {
    if (!change.value_seen) return std::nullopt;
    // Other fields are rare: the document reading takes them (with the entry's id and time).
    if (change.field != "messages") return std::nullopt;
    if (change.number.empty()) return std::nullopt;
    auto [it, fresh] = index.emplace(change.number, out.numbers.size());
    if (fresh) out.numbers.push_back({change.number, {}, {}, {}});
    auto& batch = out.numbers[it->second];
    std::unordered_map<std::string, std::string> names;
    for (auto& [wa_id, name] : change.contacts) names[wa_id] = name;
    for (const auto& m : change.messages) {
      auto n = names.find(str(m, "from"));
      auto msg = inbound_of(m, n == names.end() ? std::string{} : n->second);
      if (msg.wamid.empty() || msg.from.empty() || msg.type.empty()) return std::nullopt;
      batch.messages.push_back(std::move(msg));
    }
    for (auto& st : change.statuses) {
      if (st.wamid.empty() || st.status.empty()) return std::nullopt;
      for (auto* field : {&st.wamid, &st.status, &st.timestamp, &st.recipient_id})
        *field = without_nul(std::move(*field));
      batch.statuses.push_back(std::move(st));
    }
    for (auto& e : change.errors) batch.errors_json.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::optional<webhook_events> scan_webhook(const std::string& body) {
  if (json_text::nested_deeper_than(body, max_webhook_depth)) return std::nullopt;
  envelope_scanner scanner;
  if (!json::sax_parse(body, &scanner) || scanner.bailed()) return std::nullopt;
  return scanner.result();
}

std::variant<webhook_events, std::string> parse_webhook(const std::string& body) {
  if (auto events = scan_webhook(body)) return std::move(*events);
  return parse_webhook_document(body);
}

}  // namespace paige::api
