#include "common/metrics.hpp"
#include "common/process_metrics.hpp"

#include <catch2/catch.hpp>

using namespace paige::metrics;

TEST_CASE("counters and gauges render in the Prometheus text format", "[metrics]") {
  registry r;
  auto& requests = r.counters("paige_requests_total", "requests seen", {"route", "status"});
  requests.with({"/healthz", "200"}).inc();
  requests.with({"/healthz", "200"}).inc(2);
  requests.with({"/readyz", "503"}).inc();
  r.gauges("paige_up", "1 when up", {}).with({}).set(1);
  r.gauges("paige_temperature", "a fraction", {}).with({}).set(0.25);
  CHECK(r.expose() ==
        "# HELP paige_requests_total requests seen\n"
        "# TYPE paige_requests_total counter\n"
        "paige_requests_total{route=\"/healthz\",status=\"200\"} 3\n"
        "paige_requests_total{route=\"/readyz\",status=\"503\"} 1\n"
        "# HELP paige_temperature a fraction\n"
        "# TYPE paige_temperature gauge\n"
        "paige_temperature 0.25\n"
        "# HELP paige_up 1 when up\n"
        "# TYPE paige_up gauge\n"
        "paige_up 1\n");
}

TEST_CASE("histograms expose cumulative buckets, sum and count", "[metrics]") {
  registry r;
  auto& h = r.histograms("paige_latency_seconds", "latency", {"route"}, {0.1, 1}).with({"/x"});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(0.5);
  h.observe(7);
  CHECK(r.expose() ==
        "# HELP paige_latency_seconds latency\n"
        "# TYPE paige_latency_seconds histogram\n"
        "paige_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"
        "paige_latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
        "paige_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
        "paige_latency_seconds_sum{route=\"/x\"} 8.05\n"
        "paige_latency_seconds_count{route=\"/x\"} 4\n");
}

TEST_CASE("label values and help texts are escaped", "[metrics]") {
  registry r;
  r.counters("paige_odd_total", "help with \\ and\nnewline", {"v"}).with({"a\"b\\c\nd"}).inc();
  CHECK(r.expose() ==
        "# HELP paige_odd_total help with \\\\ and\\nnewline\n"
        "# TYPE paige_odd_total counter\n"
        "paige_odd_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST_CASE("collectors add families computed at scrape time", "[metrics]") {
  registry r;
  int scrapes = 0;
  r.add_collector([&scrapes] {
    ++scrapes;
    return std::vector<family_snapshot>{
        {"paige_projects",
         "projects by status",
         "gauge",
         {{"", {{"status", "active"}}, 3}, {"", {{"status", "failed"}}, 0}}}};
  });
  auto text = r.expose();
  CHECK(scrapes == 1);
  CHECK_THAT(text, Catch::Contains("paige_projects{status=\"active\"} 3\n"));
  CHECK_THAT(text, Catch::Contains("paige_projects{status=\"failed\"} 0\n"));
}

TEST_CASE("invalid metric names are refused", "[metrics]") {
  registry r;
  CHECK_THROWS(r.counters("9lives", "x", {}));
  CHECK_THROWS(r.counters("has-dash", "x", {}));
}

TEST_CASE("process figures describe this process", "[metrics]") {
  auto families = process_collector()();
  auto value_of = [&](const std::string& name) {
    for (const auto& f : families)
      if (f.name == name) return f.samples.at(0).value;
    FAIL("missing " << name);
    return 0.0;
  };
  CHECK(value_of("paige_process_resident_memory_bytes") > 1 << 20);
  CHECK(value_of("paige_process_open_fds") >= 3);
  CHECK(value_of("paige_process_threads") >= 1);
  CHECK(value_of("paige_process_start_time_seconds") > 1.6e9);
  CHECK(value_of("paige_process_cpu_seconds_total") >= 0);
}
