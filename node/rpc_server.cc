#include "node/rpc_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "node/rpc_methods.h"
#include "node/thread_name.h"

namespace phalanx::node {

namespace {

// Hard ceilings on the options, so a configuration typo cannot ask for absurd resources.
constexpr size_t kBodyBytesLimit = size_t{64} << 20;
constexpr size_t kBatchLimit = 10'000;
constexpr size_t kDepthLimit = 64;
constexpr size_t kThreadsLimit = 256;
constexpr size_t kConnectionsQueuedLimit = 65'536;
constexpr uint32_t kTimeoutMsLimit = 600'000;
constexpr uint32_t kKeepAliveSecondsLimit = 3'600;
constexpr size_t kKeepAliveRequestsLimit = 100'000;
constexpr size_t kRateClientsLimit = 1'000'000;

Status check_range(std::string_view name, uint64_t value, uint64_t low, uint64_t high) {
  if (value >= low && value <= high) return Status::ok();
  return Status::error("rpc option " + std::string(name) + " must be between " +
                       std::to_string(low) + " and " + std::to_string(high) + ", got " +
                       std::to_string(value));
}

// httplib's ThreadPool queues without bound; this one holds at most queued_max connections
// and makes the accept loop wait for room (backpressure into the kernel's listen backlog).
class ConnectionPool final : public httplib::TaskQueue {
 public:
  ConnectionPool(size_t threads, size_t queued_max) : queued_max_(queued_max) {
    for (size_t i = 0; i < threads; ++i) {
      workers_.emplace_back([this] {
        name_this_thread("phx-rpc");
        work();
      });
    }
  }

  void enqueue(std::function<void()> job) override {
    std::unique_lock<std::mutex> lock(mutex_);
    room_.wait(lock, [&] { return jobs_.size() < queued_max_ || shutdown_; });
    jobs_.push_back(std::move(job));
    work_.notify_one();
  }

  // Runs every queued job, then joins the workers. Called by the accept loop as it ends.
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shutdown_ = true;
    }
    work_.notify_all();
    room_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        work_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty()) return;  // shut down and drained
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      room_.notify_one();
      job();
    }
  }

  const size_t queued_max_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable room_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> workers_;
};

uint64_t steady_now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

// "application/json", any case, optionally followed by parameters ("; charset=utf-8").
bool is_json_content_type(std::string_view value) {
  const size_t end = value.find(';');
  std::string_view media = value.substr(0, end);
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.back()))) {
    media.remove_suffix(1);
  }
  while (!media.empty() && std::isspace(static_cast<unsigned char>(media.front()))) {
    media.remove_prefix(1);
  }
  constexpr std::string_view kJson = "application/json";
  return media.size() == kJson.size() &&
         std::equal(media.begin(), media.end(), kJson.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

std::string invalid_request_body(std::string why) {
  const jsonrpc::Error error{jsonrpc::kInvalidRequest, "invalid request: " + std::move(why),
                             nullptr};
  return jsonrpc::dump(jsonrpc::error_response(error, nullptr));
}

jsonrpc::Error rate_limited(std::string_view which, const RateLimit& limit) {
  return jsonrpc::Error{rpc_code(AdmissionError::kRateLimited),
                        "rate limited: more than " + std::to_string(limit.rate_per_second) + " " +
                            std::string(which) + " per second from this client (burst " +
                            std::to_string(limit.burst) + "); retry later",
                        jsonrpc::Json{{"limit", std::string(which)},
                                      {"ratePerSecond", limit.rate_per_second},
                                      {"burst", limit.burst}}};
}

}  // namespace

Status validate_rpc_server_options(const RpcServerOptions& options) {
  if (options.host.empty()) return Status::error("rpc option host must not be empty");
  PHALANX_RETURN_IF_ERROR(
      check_range("body_bytes_max", options.body_bytes_max, 1, kBodyBytesLimit));
  PHALANX_RETURN_IF_ERROR(check_range("batch_max", options.limits.batch_max, 1, kBatchLimit));
  // Depth 3 is the least a batch of calls with params needs.
  PHALANX_RETURN_IF_ERROR(check_range("depth_max", options.limits.depth_max, 3, kDepthLimit));
  PHALANX_RETURN_IF_ERROR(check_range("threads", options.threads, 1, kThreadsLimit));
  PHALANX_RETURN_IF_ERROR(check_range("connections_queued_max", options.connections_queued_max, 1,
                                      kConnectionsQueuedLimit));
  PHALANX_RETURN_IF_ERROR(
      check_range("read_timeout_ms", options.read_timeout_ms, 1, kTimeoutMsLimit));
  PHALANX_RETURN_IF_ERROR(
      check_range("write_timeout_ms", options.write_timeout_ms, 1, kTimeoutMsLimit));
  PHALANX_RETURN_IF_ERROR(
      check_range("keep_alive_timeout_s", options.keep_alive_timeout_s, 1, kKeepAliveSecondsLimit));
  PHALANX_RETURN_IF_ERROR(check_range("keep_alive_requests_max", options.keep_alive_requests_max, 1,
                                      kKeepAliveRequestsLimit));
  PHALANX_RETURN_IF_ERROR(
      check_range("rate_clients_max", options.rate_clients_max, 1, kRateClientsLimit));
  Status calls = validate_rate_limit(options.calls_limit);
  if (!calls) return Status::error("rpc option calls_limit: " + calls.message());
  Status sends = validate_rate_limit(options.send_limit);
  if (!sends) return Status::error("rpc option send_limit: " + sends.message());
  return Status::ok();
}

struct RpcServer::Impl {
  Impl(RpcBackend& backend, RpcServerOptions options_in, MonotonicClock clock_in)
      : options(std::move(options_in)),
        clock(clock_in ? std::move(clock_in) : MonotonicClock(steady_now_ns)),
        methods(backend),
        calls(options.calls_limit, options.rate_clients_max),
        sends(options.send_limit, options.rate_clients_max) {}

  void configure_http();
  std::optional<std::string> handle(std::string_view client, std::string_view body);
  void serve_post(const httplib::Request& request, httplib::Response& response);
  httplib::Server::HandlerResponse on_error(httplib::Response& response) const;

  const RpcServerOptions options;
  const MonotonicClock clock;
  const RpcMethods methods;
  RateLimiter calls;
  RateLimiter sends;

  httplib::Server http;
  uint16_t port = 0;
  std::thread listener;
  std::mutex mutex;
  std::condition_variable changed;
  bool listening = false;      // the accept loop runs (httplib will honour stop())
  bool listener_done = false;  // listen_after_bind() returned
};

void RpcServer::Impl::configure_http() {
  http.set_payload_max_length(options.body_bytes_max);
  http.set_read_timeout(std::chrono::milliseconds(options.read_timeout_ms));
  http.set_write_timeout(std::chrono::milliseconds(options.write_timeout_ms));
  http.set_keep_alive_timeout(options.keep_alive_timeout_s);
  http.set_keep_alive_max_count(options.keep_alive_requests_max);
  http.set_tcp_nodelay(true);  // small request/response pairs: Nagle would only add latency
  http.set_socket_options([](int socket) {
    // httplib's default sets SO_REUSEPORT, which lets a second process bind the same port and
    // silently take half the connections. SO_REUSEADDR alone still allows a quick restart.
    const int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  http.new_task_queue = [this]() -> httplib::TaskQueue* {
    // httplib creates the queue inside listen, after marking itself running: from here on
    // stop() is guaranteed to end the accept loop.
    {
      std::lock_guard<std::mutex> lock(mutex);
      listening = true;
    }
    changed.notify_all();
    return new ConnectionPool(options.threads, options.connections_queued_max);
  };
  http.Get("/health", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok", "text/plain");
  });
  http.Post("/", [this](const httplib::Request& request, httplib::Response& response) {
    serve_post(request, response);
  });
  http.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request&, httplib::Response& response) { return on_error(response); }));
  http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        response.status = 500;
        const jsonrpc::Error error{jsonrpc::kInternalError, "internal error", nullptr};
        response.set_content(jsonrpc::dump(jsonrpc::error_response(error, nullptr)),
                             "application/json");
      });
}

std::optional<std::string> RpcServer::Impl::handle(std::string_view client, std::string_view body) {
  // One clock reading per body: a batch is charged at one instant, call by call.
  const uint64_t now_ns = clock();
  const jsonrpc::Dispatcher dispatch = [&](const jsonrpc::Call& call) -> jsonrpc::Outcome {
    if (!calls.allow(client, now_ns)) return rate_limited("calls", calls.limit());
    if (call.method == "sendTransaction" && !sends.allow(client, now_ns)) {
      return rate_limited("sendTransaction calls", sends.limit());
    }
    return methods.call(call.method, call.params);
  };
  return jsonrpc::handle_body(body, options.limits, dispatch);
}

void RpcServer::Impl::serve_post(const httplib::Request& request, httplib::Response& response) {
  if (!is_json_content_type(request.get_header_value("Content-Type"))) {
    response.status = 415;
    response.set_content(invalid_request_body("Content-Type must be application/json"),
                         "application/json");
    return;
  }
  std::optional<std::string> body = handle(request.remote_addr, request.body);
  if (!body) {
    response.status = 204;  // only notifications: nothing to say (JSON-RPC over HTTP)
    return;
  }
  response.set_content(std::move(*body), "application/json");
}

httplib::Server::HandlerResponse RpcServer::Impl::on_error(httplib::Response& response) const {
  if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  if (response.status == 413) {
    response.set_content(invalid_request_body("the body is larger than " +
                                              std::to_string(options.body_bytes_max) + " bytes"),
                         "application/json");
  } else {
    response.set_content(std::to_string(response.status) +
                             ": POST / serves JSON-RPC 2.0 and GET /health the health check\n",
                         "text/plain");
  }
  return httplib::Server::HandlerResponse::Handled;
}

Result<std::unique_ptr<RpcServer>> RpcServer::create(RpcBackend& backend, RpcServerOptions options,
                                                     MonotonicClock clock) {
  PHALANX_RETURN_IF_ERROR(validate_rpc_server_options(options));
  auto impl = std::make_unique<Impl>(backend, std::move(options), std::move(clock));
  impl->configure_http();
  return std::unique_ptr<RpcServer>(new RpcServer(std::move(impl)));
}

RpcServer::RpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RpcServer::~RpcServer() { stop(); }

Status RpcServer::start() {
  PHALANX_ASSERT_MSG(!impl_->listener.joinable() && impl_->port == 0, "RpcServer started twice");
  const std::string& host = impl_->options.host;
  errno = 0;
  const int port =
      impl_->options.port == 0
          ? impl_->http.bind_to_any_port(host)
          : (impl_->http.bind_to_port(host, impl_->options.port) ? impl_->options.port : -1);
  if (port <= 0) {
    const std::string reason = errno != 0 ? std::string(": ") + std::strerror(errno) : "";
    return Status::error("cannot listen for JSON-RPC on " + host + ":" +
                         std::to_string(impl_->options.port) + reason);
  }
  impl_->port = static_cast<uint16_t>(port);
  impl_->listener = std::thread([impl = impl_.get()] {
    name_this_thread("phx-rpc-listen");
    impl->http.listen_after_bind();
    {
      std::lock_guard<std::mutex> lock(impl->mutex);
      impl->listener_done = true;
    }
    impl->changed.notify_all();
  });
  return Status::ok();
}

uint16_t RpcServer::port() const {
  PHALANX_ASSERT_MSG(impl_->port != 0, "RpcServer::port() before a successful start()");
  return impl_->port;
}

void RpcServer::stop() {
  if (!impl_->listener.joinable()) return;
  {
    // httplib ignores stop() until its accept loop has started; wait for that (or for a
    // loop that already ended on its own).
    std::unique_lock<std::mutex> lock(impl_->mutex);
    impl_->changed.wait(lock, [&] { return impl_->listening || impl_->listener_done; });
  }
  impl_->http.stop();
  impl_->listener.join();
}

std::optional<std::string> RpcServer::handle_rpc(std::string_view client, std::string_view body) {
  return impl_->handle(client, body);
}

}  // namespace phalanx::node
