// Meta's Resumable Upload API as the simulator plays it (spec/meta-cloud-api.md §11): a
// session of the app, then the bytes from offset 0, answered with a handle. Faults:
// upload_error makes both calls answer that Meta error.
#include "bench/metasim/routes.hpp"

namespace paige::metasim {
namespace {

using api::http_request;
using api::http_response;
using api::responder;

/// The token of a request ("Bearer x" or "OAuth x") is one of the simulator's numbers'.
bool known_token(const sim_context& ctx, const http_request& req) {
  auto auth = std::string{req.header("authorization").value_or("")};
  auto space = auth.find(' ');
  if (space == std::string::npos) return false;
  auto token = auth.substr(space + 1);
  for (const auto& n : ctx.state.numbers())
    if (n.access_token == token) return true;
  return false;
}

}  // namespace

void add_upload_routes(api::router& routes, sim_context ctx) {
  routes.add("POST", "/{version}/{app}/uploads", [ctx](http_request&& req, responder respond) {
    if (!known_token(ctx, req)) return respond(graph_error(190, "Invalid OAuth access token"));
    if (auto code = ctx.state.current_faults()->upload_error)
      return respond(graph_error(code, "Injected upload failure"));
    if (!ctx.app_id.empty() && req.param("app") != ctx.app_id)
      return respond(graph_error(100, "Unsupported post request: not this app"));
    auto type = std::string{req.query_param("file_type").value_or("")};
    std::size_t length = 0;
    try {
      length = std::stoul(std::string{req.query_param("file_length").value_or("0")});
    } catch (const std::exception&) {
    }
    if (length == 0 || (type != "image/jpeg" && type != "image/png" && type != "video/mp4" &&
                        type != "application/pdf"))
      return respond(graph_error(100, "Invalid parameter: file_length and file_type"));
    respond(http_response::json(200, {{"id", ctx.state.new_upload(length, type)}}));
  });
}

void receive_upload(const sim_context& ctx, const http_request& req, responder respond) {
  if (!known_token(ctx, req)) return respond(graph_error(190, "Invalid OAuth access token"));
  if (auto code = ctx.state.current_faults()->upload_error)
    return respond(graph_error(code, "Injected upload failure"));
  if (req.header("file_offset").value_or("") != "0")
    return respond(graph_error(100, "Invalid parameter: file_offset"));
  auto handle = ctx.state.finish_upload(std::string{req.param("id")}, req.body.size());
  if (!handle) return respond(graph_error(100, "Invalid upload session, or not all of its bytes"));
  ctx.state.count("uploads_finished");
  respond(http_response::json(200, {{"h", *handle}}));
}

}  // namespace paige::metasim
