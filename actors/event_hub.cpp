#include "actors/event_hub.hpp"

#include "common/json_text.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <deque>
#include <optional>
#include <vector>

namespace paige::actors {
namespace {

struct stored_event {
  std::uint64_t seq;
  std::int64_t conversation_id;
  std::string type;
  std::string data;
};

struct subscriber {
  event_sink sink;
  std::int64_t conversation = 0;  ///< 0: every conversation
};

struct hub_state {
  static constexpr const char* name = "event_hub";
  std::string epoch;
  std::uint64_t seq = 0;
  std::deque<stored_event> window;
  std::size_t window_bytes = 0;  ///< data bytes in `window`
  std::vector<subscriber> subscribers;
  ~hub_state() {
    for (auto& s : subscribers) s.sink->end();
  }
};

std::string id_of(const hub_state& st, std::uint64_t seq) {
  return st.epoch + "-" + std::to_string(seq);
}

bool wants(const subscriber& s, std::int64_t conversation_id) {
  return s.conversation == 0 || s.conversation == conversation_id;
}

/// `<epoch>-<seq>` → seq if the epoch is this hub's; nullopt otherwise.
std::optional<std::uint64_t> seq_of(const std::string& id, const std::string& epoch) {
  auto dash = id.find('-');
  if (dash == std::string::npos || id.compare(0, dash, epoch) != 0) return std::nullopt;
  try {
    return std::stoull(id.substr(dash + 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

caf::behavior hub(caf::stateful_actor<hub_state>* self, event_hub_options opts) {
  auto& st = self->state;
  st.epoch = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  return {
      [=](publish_atom, std::string& type, std::int64_t conversation_id, std::string& data) {
        auto& st = self->state;
        auto seq = ++st.seq;
        auto frame = event_frame(id_of(st, seq), type, data);
        auto& subs = st.subscribers;
        subs.erase(std::remove_if(subs.begin(), subs.end(),
                                  [&](subscriber& s) {
                                    return wants(s, conversation_id) && !s.sink->deliver(frame);
                                  }),
                   subs.end());
        st.window_bytes += data.size();
        st.window.push_back({seq, conversation_id, std::move(type), std::move(data)});
        while (st.window.size() > opts.window ||
               (opts.window_bytes != 0 && st.window_bytes > opts.window_bytes &&
                st.window.size() > 1)) {
          st.window_bytes -= st.window.front().data.size();
          st.window.pop_front();
        }
      },
      [=](subscribe_atom, const std::string& last_event_id, std::int64_t conversation,
          event_sink& sink) {
        auto& st = self->state;
        subscriber sub{std::move(sink), conversation};
        if (last_event_id.empty()) {
          // An id-only frame: no event (EventSource dispatches none), a resume point.
          if (!sub.sink->deliver("id: " + st.epoch + "-" + std::to_string(st.seq) + "\n\n")) return;
        } else {
          auto known = seq_of(last_event_id, st.epoch);
          auto after = known.value_or(0);
          auto oldest = st.window.empty() ? st.seq + 1 : st.window.front().seq;
          if (!known || after + 1 < oldest) {
            nlohmann::json lost{
                {"type", "events.lost"},
                {"last_event_id", last_event_id},
                {"message",
                 "events after this id are no longer kept: reload the state, then follow"}};
            if (!sub.sink->deliver(event_frame(st.epoch + "-" + std::to_string(oldest - 1),
                                               "events.lost", lost.dump())))
              return;
          }
          for (const auto& e : st.window)
            if (e.seq > after && wants(sub, e.conversation_id) &&
                !sub.sink->deliver(event_frame(id_of(st, e.seq), e.type, e.data)))
              return;
        }
        st.subscribers.push_back(std::move(sub));
      },
      [=](hub_read_atom) {
        auto& st = self->state;
        // The data is compact JSON already: written in, not parsed.
        std::string out = "[";
        for (const auto& e : st.window) {
          if (out.size() > 1) out += ',';
          out += R"({"id":)";
          json_text::append_string(out, id_of(st, e.seq));
          out += R"(,"type":)";
          json_text::append_string(out, e.type);
          out += R"(,"data":)";
          out += e.data;
          out += '}';
        }
        return out + "]";
      },
  };
}

}  // namespace

void publish_status(const caf::actor& hub, const storage::status_change& c) {
  if (!hub) return;
  // Written as text: three of a message's four webhooks are statuses, and a document built
  // only to be dumped cost a third of a status's allocations.
  std::string data;
  data.reserve(160 + c.wamid.size() + c.error_json.size());
  data += R"({"type":"message.status","conversation_id":)";
  json_text::append_int(data, c.conversation_id);
  data += R"(,"message_id":)";
  json_text::append_int(data, c.message_id);
  data += R"(,"wamid":)";
  json_text::append_string(data, c.wamid);
  data += R"(,"status":)";
  json_text::append_string(data, c.status);
  if (!c.error_json.empty()) {
    // Stored jsonb text: re-written compact, so no line break can end the SSE data line.
    data += R"(,"error":)";
    data += nlohmann::json::parse(c.error_json, nullptr, false).dump();
  }
  data += '}';
  caf::anon_send(hub, publish_atom::value, std::string{"message.status"}, c.conversation_id,
                 std::move(data));
}

std::string event_frame(const std::string& id, const std::string& type,
                        const std::string& data_json) {
  // data_json is compact JSON: no newline can end the data line early.
  std::string frame;
  frame.reserve(id.size() + type.size() + data_json.size() + 24);
  frame.append("id: ")
      .append(id)
      .append("\nevent: ")
      .append(type)
      .append("\ndata: ")
      .append(data_json)
      .append("\n\n");
  return frame;
}

caf::actor spawn_event_hub(caf::local_actor* parent, event_hub_options opts) {
  return parent->spawn<caf::linked>(hub, std::move(opts));
}

}  // namespace paige::actors
