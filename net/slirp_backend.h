#pragma once
// -netdev user: QEMU's user-mode network stack through libslirp, configured as QEMU's
// net/slirp.c configures it. slirp runs on the host's monotonic clock: its TCP timers and the
// IPv6 router advertisements are the outside world's business; what it sends towards the guest
// waits in the rx queue for the input layer.
#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "core/result.h"
#include "net/host_net_backend.h"
#include "net/netdev_options.h"

struct Slirp;

namespace lockstep::net {

class SlirpBackend final : public HostNetBackend {
 public:
  static Result<std::unique_ptr<SlirpBackend>> open(const std::string& id, const UserNetdev& options);
  ~SlirpBackend() override;
  SlirpBackend(const SlirpBackend&) = delete;
  SlirpBackend& operator=(const SlirpBackend&) = delete;

  void transmit(std::span<const std::uint8_t> frame) override;
  void prepare_poll(std::vector<pollfd>& fds, int& timeout_ms) override;
  void dispatch_poll(const std::vector<pollfd>& fds) override;
  std::string describe() const override;

 private:
  // A timer slirp created (only the IPv6 router advertisement one in 4.7), on slirp's clock in ms.
  struct Timer {
    int id = 0;  // SlirpTimerId
    void* cb_opaque = nullptr;
    std::int64_t expire_ms = -1;  // -1: not armed
    bool freed = false;
  };

  SlirpBackend(std::string id, UserNetdev options);
  static std::int64_t now_ns();
  void fire_due_timers();

  friend struct SlirpCallbacks;  // libslirp's callbacks (slirp_backend.cpp), `opaque` being this

  std::string id_;
  UserNetdev options_;
  Slirp* slirp_ = nullptr;
  std::list<Timer> timers_;  // stable addresses: slirp holds Timer* as its handle
  std::vector<pollfd>* filling_ = nullptr;        // the vector slirp_pollfds_fill appends to
  const std::vector<pollfd>* polled_ = nullptr;   // the vector slirp_pollfds_poll reads
  PollSlice slice_;
};

}  // namespace lockstep::net
