#include "node/jsonrpc.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

namespace phalanx::node::jsonrpc {

namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] "; people need the rest.
std::string parser_detail(const std::exception& error) {
  std::string_view text = error.what();
  if (!text.empty() && text.front() == '[') {
    const size_t end = text.find("] ");
    if (end != std::string_view::npos) text.remove_prefix(end + 2);
  }
  return std::string(text);
}

std::variant<Json, Error> parse(std::string_view body, size_t depth_max) {
  // Checked before parsing so a deeply nested body never builds a deep DOM, whose
  // destruction and serialisation would recurse once per level.
  if (nesting_depth(body, depth_max) > depth_max) {
    return Error{kParseError,
                 "parse error: JSON nested deeper than " + std::to_string(depth_max) + " levels",
                 nullptr};
  }
  try {
    return Json::parse(body);
  } catch (const Json::exception& error) {
    // Covers syntax errors, invalid UTF-8 and numbers outside the range of a double.
    return Error{kParseError, "parse error: the request body is not valid JSON",
                 parser_detail(error)};
  }
}

Error invalid_request(std::string why) {
  return Error{kInvalidRequest, "invalid request: " + std::move(why), nullptr};
}

bool valid_id(const Json& id) { return id.is_string() || id.is_number() || id.is_null(); }

// Checks everything but the id; returns the error for a malformed request.
std::optional<Error> check_request(const Json& request) {
  const auto version = request.find("jsonrpc");
  if (version == request.end() || !version->is_string() || *version != "2.0") {
    return invalid_request("\"jsonrpc\" must be the string \"2.0\"");
  }
  const auto method = request.find("method");
  if (method == request.end() || !method->is_string()) {
    return invalid_request("\"method\" must be a string");
  }
  const auto params = request.find("params");
  if (params != request.end() && !params->is_array() && !params->is_object()) {
    return invalid_request("\"params\" must be an array or an object when present");
  }
  return std::nullopt;
}

Outcome invoke(const Dispatcher& dispatch, const Call& call) {
  try {
    return dispatch(call);
  } catch (const std::exception& error) {
    // A failing method must not take the connection or the rest of a batch with it.
    return Error{kInternalError, "internal error while running " + call.method,
                 std::string(error.what())};
  }
}

// One request, dispatched but perhaps not finished.
struct Dispatched {
  bool respond = true;  // false for a notification
  Json id;
  std::string method;
  Outcome outcome;
};

Dispatched dispatch_request(const Json& request, const Dispatcher& dispatch) {
  if (!request.is_object()) {
    return {true, nullptr, "", invalid_request("expected a JSON object")};
  }
  const auto id_member = request.find("id");
  const bool notification = id_member == request.end();
  if (!notification && !valid_id(*id_member)) {
    return {true, nullptr, "", invalid_request("\"id\" must be a string, a number or null")};
  }
  const Json id = notification ? Json(nullptr) : *id_member;
  // A malformed request is answered even without an id: its sender cannot be told apart
  // from one that meant to send a request (JSON-RPC 2.0 section 5.1 examples).
  if (auto error = check_request(request)) return {true, id, "", *error};

  static const Json kNoParams;
  const auto params = request.find("params");
  const std::string& method = request.at("method").get_ref<const std::string&>();
  const Call call{method, params == request.end() ? kNoParams : *params, notification};
  return {!notification, id, method, invoke(dispatch, call)};
}

// The response to one dispatched request (finishing it if deferred), or nullopt for a
// notification.
std::optional<Json> finish_request(Dispatched& dispatched) {
  if (auto* deferred = std::get_if<Deferred>(&dispatched.outcome)) {
    Answer answer;
    try {
      answer = deferred->finish();
    } catch (const std::exception& error) {
      answer = Error{kInternalError, "internal error while running " + dispatched.method,
                     std::string(error.what())};
    }
    std::visit([&](auto& value) { dispatched.outcome = std::move(value); }, answer);
  }
  if (!dispatched.respond) return std::nullopt;
  if (auto* error = std::get_if<Error>(&dispatched.outcome)) {
    return error_response(*error, dispatched.id);
  }
  return result_response(std::move(std::get<Json>(dispatched.outcome)), dispatched.id);
}

std::optional<Json> handle_request(const Json& request, const Dispatcher& dispatch) {
  Dispatched dispatched = dispatch_request(request, dispatch);
  return finish_request(dispatched);
}

std::optional<std::string> handle_batch(const Json& batch, const Limits& limits,
                                        const Dispatcher& dispatch) {
  if (batch.empty()) {
    return dump(error_response(invalid_request("empty batch"), nullptr));
  }
  if (batch.size() > limits.batch_max) {
    Error error = invalid_request("a batch holds at most " + std::to_string(limits.batch_max) +
                                  " calls, this one has " + std::to_string(batch.size()));
    error.data = Json{{"batchMax", limits.batch_max}};
    return dump(error_response(error, nullptr));
  }
  // Dispatch every call before finishing any, so deferred work overlaps.
  std::vector<Dispatched> dispatched;
  dispatched.reserve(batch.size());
  for (const Json& request : batch) dispatched.push_back(dispatch_request(request, dispatch));
  Json responses = Json::array();
  for (Dispatched& call : dispatched) {
    if (auto response = finish_request(call)) responses.push_back(std::move(*response));
  }
  if (responses.empty()) return std::nullopt;
  return dump(responses);
}

}  // namespace

size_t nesting_depth(std::string_view text, size_t depth_max) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > depth_max) return depth_max + 1;
      deepest = std::max(deepest, depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string dump(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json error_object(const Error& error) {
  Json object = {{"code", error.code}, {"message", error.message}};
  if (!error.data.is_null()) object["data"] = error.data;
  return object;
}

Json error_response(const Error& error, const Json& id) {
  return Json{{"jsonrpc", "2.0"}, {"error", error_object(error)}, {"id", id}};
}

Json result_response(Json result, const Json& id) {
  return Json{{"jsonrpc", "2.0"}, {"result", std::move(result)}, {"id", id}};
}

std::optional<std::string> handle_body(std::string_view body, const Limits& limits,
                                       const Dispatcher& dispatch) {
  std::variant<Json, Error> parsed = parse(body, limits.depth_max);
  if (auto* error = std::get_if<Error>(&parsed)) return dump(error_response(*error, nullptr));
  const Json& message = std::get<Json>(parsed);
  if (message.is_array()) return handle_batch(message, limits, dispatch);
  std::optional<Json> response = handle_request(message, dispatch);
  if (!response) return std::nullopt;
  return dump(*response);
}

}  // namespace phalanx::node::jsonrpc
