// The HTTP side of the JSON-RPC server: a real server on 127.0.0.1 with an ephemeral port
// and a fake backend. Covers GET /health, content-type and body-size refusals, 204 for
// notifications, the rate limits (fake clock, no sleeps), a malformed-request corpus and
// misbehaving connections — and checks that the server keeps serving after each. Also the
// token buckets and option validation on their own.
#include "node/rpc_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "tests/node/rpc_fake_backend.h"

namespace phalanx::node {
namespace {

using jsonrpc::Json;
constexpr uint64_t kSecondNs = 1'000'000'000;

// ---- token buckets --------------------------------------------------------------------

TEST(TokenBucketTest, BurstThenExactlyRatePerSecond) {
  TokenBucket bucket(RateLimit{10, 3}, 0);
  EXPECT_TRUE(bucket.take(0));
  EXPECT_TRUE(bucket.take(0));
  EXPECT_TRUE(bucket.take(0));
  EXPECT_FALSE(bucket.take(0));
  EXPECT_FALSE(bucket.take(kSecondNs / 10 - 1));  // one nanosecond short of a token
  EXPECT_TRUE(bucket.take(kSecondNs / 10));
  EXPECT_FALSE(bucket.take(kSecondNs / 10));
  EXPECT_EQ(bucket.tokens(1000 * kSecondNs), 3u);  // refills up to the burst, no further
}

TEST(TokenBucketTest, ClockGoingBackwardsAddsNothing) {
  TokenBucket bucket(RateLimit{1, 1}, 5 * kSecondNs);
  EXPECT_TRUE(bucket.take(5 * kSecondNs));
  EXPECT_FALSE(bucket.take(1 * kSecondNs));
  EXPECT_FALSE(bucket.take(5 * kSecondNs));
  EXPECT_TRUE(bucket.take(6 * kSecondNs));
}

TEST(TokenBucketTest, ExtremeRatesAndTimesDoNotOverflow) {
  const RateLimit limit{kRateLimitRateMax, kRateLimitBurstMax};
  TokenBucket bucket(limit, 0);
  for (uint32_t i = 0; i < kRateLimitBurstMax; ++i) ASSERT_TRUE(bucket.take(0));
  EXPECT_FALSE(bucket.take(0));
  EXPECT_EQ(bucket.tokens(UINT64_MAX), kRateLimitBurstMax);
}

TEST(RateLimiterTest, ClientsHaveSeparateBucketsAndTheTableIsBounded) {
  RateLimiter limiter(RateLimit{1, 1}, 2);
  EXPECT_TRUE(limiter.allow("10.0.0.1", 0));
  EXPECT_FALSE(limiter.allow("10.0.0.1", 0));
  EXPECT_TRUE(limiter.allow("10.0.0.2", 0));
  EXPECT_FALSE(limiter.allow("10.0.0.2", 0));
  EXPECT_TRUE(limiter.allow("10.0.0.3", 0));  // forgets 10.0.0.1, the least recent
  EXPECT_EQ(limiter.clients(), 2u);
  EXPECT_FALSE(limiter.allow("10.0.0.2", 0));  // still remembered
  EXPECT_TRUE(limiter.allow("10.0.0.1", 0));   // back with a full bucket
}

TEST(RateLimiterTest, DisabledLimitAdmitsEverything) {
  RateLimiter limiter(RateLimit{0, 0}, 1);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.allow("10.0.0.1", 0));
  EXPECT_EQ(limiter.clients(), 0u);
}

TEST(RateLimiterTest, ValidationNamesTheProblem) {
  EXPECT_TRUE(validate_rate_limit(RateLimit{0, 0}).is_ok());
  EXPECT_NE(validate_rate_limit(RateLimit{5, 0}).message().find("burst"), std::string::npos);
  EXPECT_FALSE(validate_rate_limit(RateLimit{5, kRateLimitBurstMax + 1}).is_ok());
  EXPECT_FALSE(validate_rate_limit(RateLimit{kRateLimitRateMax + 1, 1}).is_ok());
}

TEST(RpcServerOptionsTest, EachOutOfRangeOptionIsNamed) {
  EXPECT_TRUE(validate_rpc_server_options(RpcServerOptions{}).is_ok());
  const std::vector<std::pair<std::string, void (*)(RpcServerOptions&)>> cases = {
      {"host", [](RpcServerOptions& o) { o.host.clear(); }},
      {"body_bytes_max", [](RpcServerOptions& o) { o.body_bytes_max = 0; }},
      {"batch_max", [](RpcServerOptions& o) { o.limits.batch_max = 0; }},
      {"depth_max", [](RpcServerOptions& o) { o.limits.depth_max = 1000; }},
      {"threads", [](RpcServerOptions& o) { o.threads = 0; }},
      {"connections_queued_max", [](RpcServerOptions& o) { o.connections_queued_max = 0; }},
      {"read_timeout_ms", [](RpcServerOptions& o) { o.read_timeout_ms = 0; }},
      {"keep_alive_timeout_s", [](RpcServerOptions& o) { o.keep_alive_timeout_s = 0; }},
      {"send_limit", [](RpcServerOptions& o) { o.send_limit.burst = 0; }},
  };
  for (const auto& [name, breaks] : cases) {
    RpcServerOptions options;
    breaks(options);
    const Status status = validate_rpc_server_options(options);
    ASSERT_FALSE(status.is_ok()) << name;
    EXPECT_NE(status.message().find(name), std::string::npos) << status.message();
  }
}

// ---- a real server ----------------------------------------------------------------------

// A raw TCP connection, for requests httplib::Client would never send. Every read is bounded
// by SO_RCVTIMEO so a broken server fails the test instead of hanging it.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Whatever the next read returns (empty on close or timeout).
  std::string read_some() {
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
  }
  // Everything until the server closes the connection; closed_by_server is false when the
  // read timed out instead.
  std::string read_until_closed(bool* closed_by_server) {
    std::string out;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
      if (n > 0) {
        out.append(buffer, static_cast<size_t>(n));
        continue;
      }
      *closed_by_server = n == 0;
      return out;
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

class RpcServerTest : public ::testing::Test {
 protected:
  static RpcServerOptions test_options() {
    RpcServerOptions options;
    options.port = 0;
    options.threads = 2;
    return options;
  }
  void start(RpcServerOptions options = test_options()) {
    auto created =
        RpcServer::create(backend_, std::move(options), [this] { return now_ns_.load(); });
    ASSERT_TRUE(created.is_ok()) << created.message();
    server_ = std::move(created).value();
    const Status started = server_->start();
    ASSERT_TRUE(started.is_ok()) << started.to_string();
  }
  httplib::Client client() {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_connection_timeout(10);
    client.set_read_timeout(10);
    client.set_write_timeout(10);
    return client;
  }
  httplib::Result post(const std::string& body, const char* type = "application/json") {
    return client().Post("/", body, type);
  }
  // The parsed JSON-RPC response to `body`, which must come with HTTP 200.
  Json rpc(const std::string& body) {
    httplib::Result result = post(body);
    EXPECT_TRUE(result) << "no HTTP response for " << body.substr(0, 80);
    if (!result) return Json();
    EXPECT_EQ(result->status, 200) << body.substr(0, 80);
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    return Json::parse(result->body);
  }
  static std::string request(const std::string& method, const Json& params, int id = 1) {
    return Json{{"jsonrpc", "2.0"}, {"method", method}, {"params", params}, {"id", id}}.dump();
  }
  void expect_healthy() {
    httplib::Result result = client().Get("/health");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, "ok");
  }

  std::atomic<uint64_t> now_ns_{100 * kSecondNs};
  testing::FakeBackend backend_;
  std::unique_ptr<RpcServer> server_;  // last: stopped before the backend goes away
};

TEST_F(RpcServerTest, HealthEndpointAndGetHealthMethod) {
  start();
  expect_healthy();
  EXPECT_EQ(rpc(request("getHealth", Json::array())),
            (Json{{"jsonrpc", "2.0"}, {"result", "ok"}, {"id", 1}}));
  // Media type parameters and case do not matter.
  httplib::Result result =
      post(request("getHealth", Json::array()), "Application/JSON; charset=utf-8");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
}

TEST_F(RpcServerTest, OtherContentTypesAre415WithAJsonRpcError) {
  start();
  for (const char* type :
       {"text/plain", "application/jsonx", "application/x-www-form-urlencoded"}) {
    httplib::Result result = post(request("getHealth", Json::array()), type);
    ASSERT_TRUE(result) << type;
    EXPECT_EQ(result->status, 415) << type;
    EXPECT_EQ(Json::parse(result->body)["error"]["code"], jsonrpc::kInvalidRequest);
  }
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(
      raw.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"));
  bool closed = false;
  EXPECT_EQ(raw.read_until_closed(&closed).rfind("HTTP/1.1 415", 0), 0u);  // no Content-Type
  expect_healthy();
}

TEST_F(RpcServerTest, BodyAboveTheLimitIs413AndTheServerGoesOn) {
  RpcServerOptions options = test_options();
  options.body_bytes_max = 4096;
  start(options);
  const std::string padded = request("getHealth", Json::array());
  httplib::Result fits = post(padded + std::string(4096 - padded.size(), ' '));
  ASSERT_TRUE(fits);
  EXPECT_EQ(fits->status, 200);
  httplib::Result too_large = post(padded + std::string(4097 - padded.size(), ' '));
  ASSERT_TRUE(too_large);
  EXPECT_EQ(too_large->status, 413);
  EXPECT_EQ(Json::parse(too_large->body)["error"]["code"], jsonrpc::kInvalidRequest);
  expect_healthy();
}

TEST_F(RpcServerTest, NotificationsOnlyGet204AndAnEmptyBody) {
  start();
  for (const std::string& body :
       {std::string(R"({"jsonrpc":"2.0","method":"getHealth"})"),
        std::string(
            R"([{"jsonrpc":"2.0","method":"getHealth"},{"jsonrpc":"2.0","method":"x"}])")}) {
    httplib::Result result = post(body);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 204);
    EXPECT_TRUE(result->body.empty());
  }
}

TEST_F(RpcServerTest, UnknownPathsAndVerbsAreHttpErrors) {
  start();
  httplib::Result get_root = client().Get("/");
  ASSERT_TRUE(get_root);
  EXPECT_EQ(get_root->status, 404);
  httplib::Result post_elsewhere = client().Post("/rpc", "{}", "application/json");
  ASSERT_TRUE(post_elsewhere);
  EXPECT_EQ(post_elsewhere->status, 404);
}

TEST_F(RpcServerTest, SendTransactionRateLimitRefillsWithTheClock) {
  RpcServerOptions options = test_options();
  options.send_limit = RateLimit{1, 2};
  start(options);
  const std::string tx = hex_encode(testing::test_transfer(0).bytes);
  EXPECT_TRUE(rpc(request("sendTransaction", {tx})).contains("result"));
  EXPECT_TRUE(rpc(request("sendTransaction", {tx})).contains("result"));
  const Json refused = rpc(request("sendTransaction", {tx}));
  EXPECT_EQ(refused["error"]["code"], -32011);
  EXPECT_EQ(refused["error"]["data"]["burst"], 2);
  EXPECT_NE(refused["error"]["message"].get<std::string>().find("rate limited"), std::string::npos);
  EXPECT_EQ(backend_.submitted().size(), 2u);  // the refused one never reached the node
  EXPECT_EQ(rpc(request("getHealth", Json::array()))["result"], "ok");  // other calls go on
  now_ns_ += kSecondNs;
  EXPECT_TRUE(rpc(request("sendTransaction", {tx})).contains("result"));
  EXPECT_EQ(rpc(request("sendTransaction", {tx}))["error"]["code"], -32011);
}

TEST_F(RpcServerTest, EveryCallOfABatchCountsAgainstTheEndpointLimit) {
  RpcServerOptions options = test_options();
  options.calls_limit = RateLimit{1, 3};
  start(options);
  Json batch = Json::array();
  for (int id = 0; id < 5; ++id)
    batch.push_back(Json::parse(request("getHealth", Json::array(), id)));
  const Json responses = rpc(batch.dump());
  ASSERT_EQ(responses.size(), 5u);
  for (int id = 0; id < 3; ++id) EXPECT_EQ(responses[id]["result"], "ok") << id;
  for (int id = 3; id < 5; ++id) EXPECT_EQ(responses[id]["error"]["code"], -32011) << id;
  // Notifications are calls too: this one takes the token the clock just added.
  now_ns_ += kSecondNs;
  httplib::Result notification = post(R"({"jsonrpc":"2.0","method":"getHealth"})");
  ASSERT_TRUE(notification);
  EXPECT_EQ(rpc(request("getHealth", Json::array()))["error"]["code"], -32011);
}

TEST_F(RpcServerTest, RateLimitsAreKeptPerClientAddress) {
  RpcServerOptions options = test_options();
  options.calls_limit = RateLimit{1, 1};
  start(options);
  const std::string call = request("getHealth", Json::array());
  EXPECT_NE(server_->handle_rpc("10.0.0.1", call)->find("\"ok\""), std::string::npos);
  EXPECT_NE(server_->handle_rpc("10.0.0.1", call)->find("-32011"), std::string::npos);
  EXPECT_NE(server_->handle_rpc("10.0.0.2", call)->find("\"ok\""), std::string::npos);
}

TEST_F(RpcServerTest, MalformedRequestCorpusGetsTheRightErrorsAndTheServerGoesOn) {
  start();
  const std::string prefix = R"({"jsonrpc":"2.0","id":1,)";
  Json oversized_batch = Json::array();
  for (int i = 0; i < 101; ++i)
    oversized_batch.push_back(Json::parse(request("getHealth", Json::array())));
  const std::vector<std::pair<std::string, int>> corpus = {
      {"{", -32700},
      {std::string("\0\0\0", 3), -32700},
      {std::string(100'000, '['), -32700},
      {std::string(20, '{') + std::string(20, '}'), -32700},
      {prefix + R"("method":"getBlock","params":[1e999]})", -32700},
      {prefix + "\"method\":\"get\xff\"}", -32700},
      {prefix + "\"method\":\"\xc0\xaf\"}", -32700},
      {prefix + R"("method":"\ud800"})", -32700},
      {"[]", -32600},
      {"null", -32600},
      {prefix + R"("method":"getBlock","params":{"height":1},"jsonrpc":"1.0"})", -32600},
      {oversized_batch.dump(), -32600},
      {prefix + R"("method":"getBlock","params":[99999999999999999999999]})", -32602},
      {prefix + R"("method":"getBlock","params":[18446744073709551615]})", -32602},
      {prefix + R"("method":"getBlock","params":[-9223372036854775809]})", -32602},
      {prefix + R"("method":"getBlock","params":[9007199254740992]})", -32602},
      {prefix + R"("method":"getBalance","params":["phx1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"]})",
       -32010},
      {prefix + R"("method":")" + std::string(100'000, 'x') + R"("})", -32601},
  };
  for (const auto& [body, code] : corpus) {
    const Json response = rpc(body);
    EXPECT_EQ(response["error"]["code"], code)
        << body.substr(0, 80) << " -> " << response.dump().substr(0, 200);
  }
  expect_healthy();
}

TEST_F(RpcServerTest, GarbageHttpIsRefusedAndTheServerGoesOn) {
  start();
  RawConnection raw(server_->port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.send("GARBAGE\r\n\r\n"));
  EXPECT_EQ(raw.read_some().rfind("HTTP/1.1 400", 0), 0u);
  expect_healthy();
}

TEST_F(RpcServerTest, StalledRequestIsCutOffByTheReadTimeoutAndFreesTheWorker) {
  RpcServerOptions options = test_options();
  options.threads = 1;  // the stalled connection holds the only worker
  options.read_timeout_ms = 200;
  options.keep_alive_timeout_s = 1;  // httplib then waits this long for a next request
  start(options);
  RawConnection stalled(server_->port());
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(stalled.send("POST / HTTP/1.1\r\nHost: x\r\n"));  // headers never finish
  // The read timeout ends the request with a 400...
  EXPECT_EQ(stalled.read_some().rfind("HTTP/1.1 400", 0), 0u);
  // ...and the worker is free again once the idle connection times out.
  expect_healthy();
  bool closed = false;
  stalled.read_until_closed(&closed);
  EXPECT_TRUE(closed) << "the server kept a stalled connection open";
}

TEST_F(RpcServerTest, PortInUseIsAClearErrorAndStopIsIdempotent) {
  start();
  RpcServerOptions options = test_options();
  options.port = server_->port();
  auto second = RpcServer::create(backend_, options);
  ASSERT_TRUE(second.is_ok());
  const Status status = (*second)->start();
  ASSERT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find(std::to_string(server_->port())), std::string::npos);
  (*second)->stop();
  server_->stop();
  server_->stop();
}

TEST_F(RpcServerTest, StopRightAfterStartReturns) {
  for (int i = 0; i < 20; ++i) {
    start();
    server_->stop();
    server_.reset();
  }
}

}  // namespace
}  // namespace phalanx::node
