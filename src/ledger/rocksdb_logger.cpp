#include "ledger/rocksdb_logger.hpp"

#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <string>

namespace rampart::ledger {
namespace {

class SpdlogLogger final : public rocksdb::Logger {
 public:
  SpdlogLogger() : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL) {}

  void Logv(const char* format, va_list ap) override { Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap); }

  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, ap);
    std::string msg(buf);
    for (char& c : msg)
      if (c == '"' || c == '\n') c = '\'';
    switch (level) {
      case rocksdb::InfoLogLevel::WARN_LEVEL:
        spdlog::warn("event=rocksdb msg=\"{}\"", msg);
        break;
      case rocksdb::InfoLogLevel::ERROR_LEVEL:
        spdlog::error("event=rocksdb msg=\"{}\"", msg);
        break;
      case rocksdb::InfoLogLevel::FATAL_LEVEL:
        spdlog::critical("event=rocksdb msg=\"{}\"", msg);
        break;
      default:
        spdlog::debug("event=rocksdb msg=\"{}\"", msg);
    }
  }

 protected:
  rocksdb::Status CloseImpl() override { return rocksdb::Status::OK(); }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_rocksdb_logger() { return std::make_shared<SpdlogLogger>(); }

}  // namespace rampart::ledger
