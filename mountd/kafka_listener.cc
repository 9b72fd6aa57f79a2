#include "mountd/kafka_listener.h"

#include <unistd.h>

#include <spdlog/spdlog.h>

namespace topicfs::mountd {

namespace {
// What Metadata tells clients to connect to: the address listened on, or,
// for a wildcard address (every interface), this host's name, since
// 0.0.0.0 is no address a client can connect to.
std::string AdvertisedHost(const std::string& host) {
  if (host != "0.0.0.0" && host != "::") return host;
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "127.0.0.1";
  return name;
}
}  // namespace

store::Result<std::unique_ptr<KafkaListener>> KafkaListener::Bind(const std::string& host, int port) {
  kafka::Server::Options options;
  options.host = host;
  options.port = port;
  auto server = kafka::Server::Listen(options);
  if (!server.ok()) return server.status();
  return std::unique_ptr<KafkaListener>(new KafkaListener(host, std::move(server).value()));
}

void KafkaListener::Start(store::LogManager* logs, store::GroupOffsets* groups,
                          std::function<void(const store::Log&)> on_append) {
  kafka::Broker::Options options;
  options.on_append = std::move(on_append);
  if (groups != nullptr) {
    coordinator_ = store::GroupCoordinator::Open(*logs, *groups, logs->clock(), {});
    options.groups = coordinator_.get();
  }
  options.advertised_host = AdvertisedHost(host_);
  options.advertised_port = server_->port();
  broker_ = std::make_unique<kafka::Broker>(logs, options);
  server_->Start(broker_.get());
  spdlog::info("kafka listener on {}:{}", host_, server_->port());
  if (host_ != "127.0.0.1" && host_ != "::1" && host_ != "localhost" && host_.rfind("127.", 0) != 0) {
    spdlog::warn("kafka listener on {}, not a loopback address: anyone who can reach it can read "
                 "and write every topic (no authentication)", host_);
  }
}

void KafkaListener::Stop() {
  if (broker_) broker_->Stop();
  server_->Stop();
  broker_.reset();
  coordinator_.reset();
}

}  // namespace topicfs::mountd
