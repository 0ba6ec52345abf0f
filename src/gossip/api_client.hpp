#pragma once
// A client of a module's API (what a local application, a test, the benchmark or the observer
// uses): announce, subscribe, receive notifications, validate. Asynchronous on an io_context;
// every call and handler on that io thread. Anything from the module that is not a well-formed
// NOTIFICATION closes the client (the module never sends anything else).
#include <asio.hpp>
#include <functional>
#include <memory>
#include <string>

#include "common/bytes.hpp"
#include "common/result.hpp"
#include "gossip/api_message.hpp"
#include "gossip/config.hpp"

namespace rampart::gossip {

class ApiClient {
 public:
  explicit ApiClient(asio::io_context& io);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Blocking connect (the kernel completes it against a listening socket even while the
  // module's io thread is busy, so this may run on that same thread). Starts reading.
  Status connect(const Address& module_api);

  void on_notification(std::function<void(const Notification&)> cb);
  void on_close(std::function<void(const std::string& why)> cb);

  void notify(uint16_t data_type);
  Status announce(uint8_t ttl, uint16_t data_type, ByteView data);
  void validate(uint16_t message_id, bool valid);
  // Bytes as they are (tests of malformed input).
  void send_raw(ByteView bytes);
  void close();
  bool connected() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rampart::gossip
