// The event hub: numbering, the replay window, lost events, filters and gone subscribers.
#include "actors/event_hub.hpp"
#include "actors/system_config.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include <algorithm>

#include <mutex>
#include <vector>

using namespace paige::actors;

namespace {

/// Collects frames; `open` false makes it report itself gone.
struct collector : event_subscriber {
  std::mutex m;
  std::vector<std::string> frames;
  bool open = true;
  bool ended = false;
  bool deliver(const std::string& frame) override {
    std::lock_guard<std::mutex> lock{m};
    frames.push_back(frame);
    return open;
  }
  void end() override {
    std::lock_guard<std::mutex> lock{m};
    ended = true;
  }
  std::vector<std::string> snapshot() {
    std::lock_guard<std::mutex> lock{m};
    return frames;
  }
};

std::string type_of(const std::string& frame) {
  auto at = frame.find("event: ") + 7;
  return frame.substr(at, frame.find('\n', at) - at);
}
std::string id_of(const std::string& frame) { return frame.substr(4, frame.find('\n') - 4); }

struct hub_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<caf::scoped_actor> self;
  caf::actor hub;
  hub_fixture() {
    configure_actor_system(cfg, 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    self = std::make_unique<caf::scoped_actor>(*sys);
    hub = spawn_event_hub(self->ptr(), {"p1", 3});
  }
  void publish(std::int64_t conversation, const std::string& type) {
    (*self)->send(hub, publish_atom::value, type, conversation,
                  std::string{"{\"type\":\"" + type + "\"}"});
  }
  /// Subscribes and waits until the hub has handled it (and everything sent before).
  std::shared_ptr<collector> subscribe(const std::string& last, std::int64_t conversation = 0) {
    auto c = std::make_shared<collector>();
    (*self)->send(hub, subscribe_atom::value, last, conversation, event_sink{c});
    return c;
  }
  /// Everything sent to the hub so far has been handled once a later probe event is seen
  /// (counting probes, not frames: frames sent before it may still be arriving).
  void settle(const std::shared_ptr<collector>& probe) {
    auto probes = [&] {
      auto frames = probe->snapshot();
      return std::count_if(frames.begin(), frames.end(),
                           [](const std::string& f) { return f.find("event: probe\n") != f.npos; });
    };
    auto before = probes();
    publish(999, "probe");
    for (int i = 0; i < 2000 && probes() == before; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{1});
    REQUIRE(probes() > before);
  }
};

}  // namespace

TEST_CASE("the hub replays its window after a known id and says when events were lost",
          "[unit][events]") {
  hub_fixture f;
  auto live = f.subscribe("");
  for (int i = 1; i <= 5; ++i) f.publish(7, "e" + std::to_string(i));
  f.settle(live);
  auto frames = live->snapshot();
  REQUIRE(frames.size() == 7);
  // A new subscriber's first frame is where it starts: an id without an event.
  auto epoch = id_of(frames[0]).substr(0, id_of(frames[0]).find('-'));
  CHECK(frames[0] == "id: " + epoch + "-0\n\n");
  CHECK(type_of(frames[1]) == "e1");
  CHECK(id_of(frames[5]) == epoch + "-5");

  // The window keeps 3 events (e4, e5, probe): after e4 only e5 and the probe come back.
  auto recent = f.subscribe(epoch + "-4");
  f.settle(live);
  auto replay = recent->snapshot();
  REQUIRE(replay.size() >= 2);
  CHECK(type_of(replay[0]) == "e5");
  CHECK(type_of(replay[1]) == "probe");

  // After e1: e2 and e3 are gone, so events.lost comes first, then what is left.
  auto old = f.subscribe(epoch + "-1");
  f.settle(live);
  auto after_loss = old->snapshot();
  REQUIRE(after_loss.size() >= 4);
  CHECK(type_of(after_loss[0]) == "events.lost");
  CHECK(type_of(after_loss[1]) == "e5");

  // An id of another hub (another process start) is a loss too.
  auto foreign = f.subscribe("123-2");
  f.settle(live);
  CHECK(type_of(foreign->snapshot().at(0)) == "events.lost");

  // A subscriber that starts now is told the newest id (e1..e5 and four probes: 9).
  auto later = f.subscribe("");
  f.settle(live);
  CHECK(later->snapshot().at(0) == "id: " + epoch + "-9\n\n");
}

TEST_CASE("the hub filters by conversation and forgets subscribers that are gone",
          "[unit][events]") {
  hub_fixture f;
  auto live = f.subscribe("");
  auto only = f.subscribe("", 8);
  auto gone = f.subscribe("");
  gone->open = false;
  f.publish(7, "a");
  f.publish(8, "b");
  f.settle(live);
  auto mine = only->snapshot();
  REQUIRE(mine.size() == 2);  // its position, then b
  CHECK(type_of(mine[1]) == "b");
  CHECK(gone->snapshot().size() == 1);  // refused the first frame: forgotten
  caf::anon_send_exit(f.hub, caf::exit_reason::user_shutdown);
  f.self.reset();
  f.sys->await_all_actors_done();
  CHECK(live->ended);  // a hub that stops ends its streams
}
