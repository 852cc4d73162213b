// JSON-RPC 2.0 conformance of node/jsonrpc.h: parse errors, invalid requests, ids,
// notifications and batches, each rule of the specification as one test.
#include "node/jsonrpc.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace phalanx::node::jsonrpc {
namespace {

// Echoes each call back as {"method", "params", "notification"}; "fail" returns an
// application error, "throw" throws.
Outcome echo(const Call& call) {
  if (call.method == "fail") return Error{-32000, "it failed", Json{{"why", "asked to"}}};
  if (call.method == "throw") throw std::runtime_error("boom");
  return Json{
      {"method", call.method}, {"params", call.params}, {"notification", call.notification}};
}

class EnvelopeTest : public ::testing::Test {
 protected:
  // The response to `body`, which must be due.
  Json respond(std::string_view body) {
    std::optional<std::string> response = handle_body(body, limits_, counting_echo());
    EXPECT_TRUE(response.has_value()) << body;
    return response ? Json::parse(*response) : Json();
  }
  bool silent(std::string_view body) { return !handle_body(body, limits_, counting_echo()); }
  Dispatcher counting_echo() {
    return [this](const Call& call) {
      ++dispatched_;
      return echo(call);
    };
  }
  static void expect_error(const Json& response, int32_t code, const Json& id = nullptr) {
    ASSERT_TRUE(response.is_object()) << response;
    EXPECT_EQ(response.at("jsonrpc"), "2.0") << response;
    EXPECT_EQ(response.at("error").at("code"), code) << response;
    EXPECT_FALSE(response.at("error").at("message").get<std::string>().empty());
    EXPECT_FALSE(response.contains("result")) << response;
    EXPECT_EQ(response.at("id"), id) << response;
  }

  Limits limits_;
  int dispatched_ = 0;
};

TEST_F(EnvelopeTest, ResultResponseHasExactlyJsonrpcResultAndId) {
  const Json response = respond(R"({"jsonrpc":"2.0","method":"m","params":[1,"a"],"id":7})");
  EXPECT_EQ(response,
            (Json{{"jsonrpc", "2.0"},
                  {"result", {{"method", "m"}, {"params", {1, "a"}}, {"notification", false}}},
                  {"id", 7}}));
}

TEST_F(EnvelopeTest, NamedPositionalAndAbsentParamsReachTheMethod) {
  EXPECT_EQ(
      respond(R"({"jsonrpc":"2.0","method":"m","params":{"a":1},"id":1})")["result"]["params"],
      (Json{{"a", 1}}));
  EXPECT_EQ(respond(R"({"jsonrpc":"2.0","method":"m","params":[],"id":1})")["result"]["params"],
            Json::array());
  EXPECT_TRUE(respond(R"({"jsonrpc":"2.0","method":"m","id":1})")["result"]["params"].is_null());
}

TEST_F(EnvelopeTest, ValidIdsAreEchoedVerbatim) {
  for (const char* id : {"\"abc\"", "0", "-5", "1.5", "18446744073709551615", "null"}) {
    const std::string body = std::string(R"({"jsonrpc":"2.0","method":"m","id":)") + id + "}";
    EXPECT_EQ(respond(body)["id"], Json::parse(id)) << body;
  }
}

TEST_F(EnvelopeTest, ParseErrorsAnswerMinus32700WithNullId) {
  const std::string raw_nul =
      std::string(R"({"jsonrpc":"2.0","method":"m)") + '\0' + R"(","id":1})";
  for (const std::string& body : {std::string("{"), std::string(""), std::string("[1,"),
                                  std::string(R"({"jsonrpc":"2.0","method":"m","id":1)"),
                                  std::string("nul"), std::string("{} {}"), raw_nul}) {
    expect_error(respond(body), kParseError);
  }
  EXPECT_EQ(dispatched_, 0);
}

TEST_F(EnvelopeTest, InvalidUtf8IsAParseError) {
  expect_error(respond("{\"jsonrpc\":\"2.0\",\"method\":\"m\xff\xfe\",\"id\":1}"), kParseError);
  expect_error(respond("{\"jsonrpc\":\"2.0\",\"method\":\"\xc3\x28\",\"id\":1}"), kParseError);
  EXPECT_EQ(dispatched_, 0);
}

TEST_F(EnvelopeTest, NumbersBeyondADoubleAreAParseError) {
  expect_error(respond(R"({"jsonrpc":"2.0","method":"m","params":[1e400],"id":1})"), kParseError);
  // A huge integer is valid JSON (it becomes a double); the method decides what it means.
  EXPECT_TRUE(
      respond(R"({"jsonrpc":"2.0","method":"m","params":[1e300],"id":1})").contains("result"));
}

TEST_F(EnvelopeTest, NestingDeeperThanTheLimitIsRefusedBeforeParsing) {
  limits_.depth_max = 16;
  // request object (1) + params array (2) + 14 more arrays = 16 levels: accepted.
  std::string ok = R"({"jsonrpc":"2.0","method":"m","params":[)" + std::string(14, '[') +
                   std::string(14, ']') + R"(],"id":1})";
  EXPECT_TRUE(respond(ok).contains("result"));
  std::string deep = R"({"jsonrpc":"2.0","method":"m","params":[)" + std::string(15, '[') +
                     std::string(15, ']') + R"(],"id":1})";
  expect_error(respond(deep), kParseError);
  // A million unclosed brackets: refused at bracket 17, never parsed.
  expect_error(respond(std::string(1'000'000, '[')), kParseError);
}

TEST_F(EnvelopeTest, NestingDepthIgnoresBracketsInsideStrings) {
  EXPECT_EQ(nesting_depth(R"({"a":"[[[{{{","b":"\"[[["})", 16), 1u);
  EXPECT_EQ(nesting_depth(R"([[],[[]],{"x":[{}]}])", 16), 4u);
  EXPECT_EQ(nesting_depth(R"(["\\",[]])", 16), 2u);  // an escaped backslash ends the escape
  EXPECT_EQ(nesting_depth(std::string(100, '{'), 5), 6u);
  EXPECT_EQ(nesting_depth("42", 16), 0u);
}

TEST_F(EnvelopeTest, InvalidRequestsAnswerMinus32600) {
  const char* bodies[] = {
      "1",
      "\"text\"",
      "null",
      "true",                                                    // not an object
      R"({"method":"m","id":1})",                                // no jsonrpc
      R"({"jsonrpc":"1.0","method":"m","id":1})",                // wrong version
      R"({"jsonrpc":2.0,"method":"m","id":1})",                  // version not a string
      R"({"jsonrpc":"2.0","id":1})",                             // no method
      R"({"jsonrpc":"2.0","method":5,"id":1})",                  // method not a string
      R"({"jsonrpc":"2.0","method":"m","params":"p","id":1})",   // params a string
      R"({"jsonrpc":"2.0","method":"m","params":7,"id":1})",     // params a number
      R"({"jsonrpc":"2.0","method":"m","params":null,"id":1})",  // params null
  };
  for (const char* body : bodies) {
    const Json response = respond(body);
    const Json parsed = Json::parse(body);
    const Json id = parsed.is_object() && parsed.contains("id") ? parsed["id"] : Json(nullptr);
    expect_error(response, kInvalidRequest, id);
  }
  EXPECT_EQ(dispatched_, 0);
}

TEST_F(EnvelopeTest, IdOfAWrongTypeIsInvalidAndAnsweredWithNullId) {
  for (const char* id : {"{}", "[1]", "true", "false"}) {
    const std::string body = std::string(R"({"jsonrpc":"2.0","method":"m","id":)") + id + "}";
    expect_error(respond(body), kInvalidRequest);
  }
  EXPECT_EQ(dispatched_, 0);
}

TEST_F(EnvelopeTest, MalformedRequestWithoutIdIsStillAnswered) {
  // JSON-RPC 2.0 section 7: {"jsonrpc":"2.0","method":1,"params":"bar"} gets -32600, id null.
  expect_error(respond(R"({"jsonrpc":"2.0","method":1,"params":"bar"})"), kInvalidRequest);
}

TEST_F(EnvelopeTest, NotificationsAreRunButNeverAnswered) {
  EXPECT_TRUE(silent(R"({"jsonrpc":"2.0","method":"m","params":[1]})"));
  EXPECT_TRUE(silent(R"({"jsonrpc":"2.0","method":"fail"})"));   // even a failing one
  EXPECT_TRUE(silent(R"({"jsonrpc":"2.0","method":"throw"})"));  // even a throwing one
  EXPECT_EQ(dispatched_, 3);
}

TEST_F(EnvelopeTest, ApplicationErrorsCarryCodeMessageAndData) {
  const Json response = respond(R"({"jsonrpc":"2.0","method":"fail","id":"x"})");
  expect_error(response, -32000, "x");
  EXPECT_EQ(response["error"]["data"], (Json{{"why", "asked to"}}));
}

TEST_F(EnvelopeTest, AThrowingMethodIsAnInternalErrorForThatCallOnly) {
  const Json responses = respond(
      R"([{"jsonrpc":"2.0","method":"throw","id":1},{"jsonrpc":"2.0","method":"m","id":2}])");
  ASSERT_EQ(responses.size(), 2u);
  expect_error(responses[0], kInternalError, 1);
  EXPECT_EQ(responses[0]["error"]["data"], "boom");
  EXPECT_EQ(responses[1]["id"], 2);
  EXPECT_TRUE(responses[1].contains("result"));
}

TEST_F(EnvelopeTest, EmptyBatchIsOneInvalidRequest) {
  expect_error(respond("[]"), kInvalidRequest);
}

TEST_F(EnvelopeTest, BatchAboveTheLimitIsOneInvalidRequestAndRunsNothing) {
  limits_.batch_max = 3;
  const std::string call = R"({"jsonrpc":"2.0","method":"m","id":1})";
  const Json response = respond("[" + call + "," + call + "," + call + "," + call + "]");
  expect_error(response, kInvalidRequest);
  EXPECT_EQ(response["error"]["data"]["batchMax"], 3);
  EXPECT_EQ(dispatched_, 0);
  EXPECT_EQ(respond("[" + call + "," + call + "," + call + "]").size(), 3u);
}

TEST_F(EnvelopeTest, BatchOfNonObjectsGivesOneErrorEach) {
  const Json responses = respond("[1,2,3]");
  ASSERT_TRUE(responses.is_array());
  ASSERT_EQ(responses.size(), 3u);
  for (const Json& response : responses) expect_error(response, kInvalidRequest);
  const Json nested = respond("[[]]");
  ASSERT_EQ(nested.size(), 1u);
  expect_error(nested[0], kInvalidRequest);
}

TEST_F(EnvelopeTest, MixedBatchAnswersEveryNonNotificationInOrder) {
  const Json responses = respond(R"([
      {"jsonrpc":"2.0","method":"m","params":[1],"id":"1"},
      {"jsonrpc":"2.0","method":"m","params":[2]},
      {"foo":"boo"},
      {"jsonrpc":"2.0","method":"fail","id":"5"},
      {"jsonrpc":"2.0","method":"m","params":{"n":3},"id":9}])");
  ASSERT_EQ(responses.size(), 4u);
  EXPECT_EQ(responses[0]["id"], "1");
  EXPECT_EQ(responses[0]["result"]["params"], Json::array({1}));
  expect_error(responses[1], kInvalidRequest);
  expect_error(responses[2], -32000, "5");
  EXPECT_EQ(responses[3]["id"], 9);
  EXPECT_EQ(dispatched_, 4);  // the notification ran too
}

// sendTransaction's shape: each call starts work and answers later. A batch dispatches
// every call before finishing any, answers in batch order, and a finish that throws is an
// internal error for that call only; a deferred notification is finished but not answered.
TEST(DeferredCalls, BatchDispatchesAllBeforeFinishingAnyInOrder) {
  std::vector<std::string> trace;
  const Dispatcher deferring = [&](const Call& call) -> Outcome {
    trace.push_back("dispatch " + call.method);
    const std::string method = call.method;
    return Deferred{[&trace, method]() -> Answer {
      trace.push_back("finish " + method);
      if (method == "throw") throw std::runtime_error("late boom");
      return Json(method);
    }};
  };
  const auto body = handle_body(
      R"([{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"throw","id":2},
          {"jsonrpc":"2.0","method":"n"},{"jsonrpc":"2.0","method":"b","id":3}])",
      Limits{}, deferring);
  ASSERT_TRUE(body.has_value());
  const Json responses = Json::parse(*body);
  ASSERT_EQ(responses.size(), 3u) << responses;
  EXPECT_EQ(responses[0], (Json{{"jsonrpc", "2.0"}, {"result", "a"}, {"id", 1}}));
  EXPECT_EQ(responses[1]["error"]["code"], kInternalError);
  EXPECT_EQ(responses[1]["id"], 2);
  EXPECT_EQ(responses[2], (Json{{"jsonrpc", "2.0"}, {"result", "b"}, {"id", 3}}));
  EXPECT_EQ(trace,
            (std::vector<std::string>{"dispatch a", "dispatch throw", "dispatch n", "dispatch b",
                                      "finish a", "finish throw", "finish n", "finish b"}));
  trace.clear();
  const auto single = handle_body(R"({"jsonrpc":"2.0","method":"c","id":4})", Limits{}, deferring);
  ASSERT_TRUE(single.has_value());
  EXPECT_EQ(Json::parse(*single)["result"], "c");
  EXPECT_EQ(trace, (std::vector<std::string>{"dispatch c", "finish c"}));
}

TEST_F(EnvelopeTest, AllNotificationBatchGetsNoResponse) {
  EXPECT_TRUE(silent(R"([{"jsonrpc":"2.0","method":"m"},{"jsonrpc":"2.0","method":"fail"}])"));
  EXPECT_EQ(dispatched_, 2);
}

TEST_F(EnvelopeTest, InvalidUtf8InAnErrorMessageIsReplacedNotThrown) {
  const Json with_bad_text = error_response(Error{-1, std::string("bad \xff byte"), nullptr}, 1);
  const std::string text = dump(with_bad_text);
  EXPECT_TRUE(Json::accept(text));
  EXPECT_NE(text.find("bad "), std::string::npos);
}

}  // namespace
}  // namespace phalanx::node::jsonrpc
