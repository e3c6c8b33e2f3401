// lockstep's command line against hostile input, run as a child process (fork/exec, no shell).
//
// The contract (the design document, "Errors are a feature"): bad input never crashes, hangs or
// allocates without bound. It gets a non-zero exit and exactly one line on stderr, starting
// with "lockstep" and naming what was wrong. Every child runs with a deadline, an address-space
// limit (so an unbounded allocation fails instead of eating the host) and no core dumps.
//
// Test suites (one CTest test each, see CMakeLists.txt):
//   bad-input    hostile files and options
//   help         --help and usage
//   determinism  the same guest twice: identical output and digest
//   max-insns    --max-insns stops at exactly N instructions with exit code 3
#include <elf.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace {

namespace fs = std::filesystem;

// Paths from CMake; an environment variable of the same name overrides each.
std::string config(const char* name, const char* built_in) {
  const char* v = std::getenv(name);
  return v && *v ? v : built_in;
}
std::string lockstep_bin() { return config("LOCKSTEP_BIN", LOCKSTEP_BIN); }
std::string hello_elf() { return config("LOCKSTEP_HELLO_ELF", LOCKSTEP_HELLO_ELF); }

constexpr int kTimeoutSeconds = 10;
constexpr rlim_t kAddressSpaceLimit = rlim_t{1} << 30;  // 1 GiB: the default 128 MiB guest fits easily
constexpr size_t kMaxCapture = 1 << 20;                 // bytes kept per stream

struct Outcome {
  int exit_code = -1;    // valid when the child exited
  int signal = 0;        // the signal that ended it, 0 if it exited
  bool timed_out = false;
  std::string out, err;

  std::vector<std::string> err_lines() const {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < err.size()) {
      size_t nl = err.find('\n', start);
      if (nl == std::string::npos) nl = err.size();
      lines.push_back(err.substr(start, nl - start));
      start = nl + 1;
    }
    return lines;
  }
  std::string describe() const {
    std::string s = timed_out ? "timed out (killed)" : signal ? "killed by signal " + std::to_string(signal)
                                                              : "exit code " + std::to_string(exit_code);
    return s + "; stderr: [" + err.substr(0, 2000) + "]";
  }
};

// Runs lockstep with `args` (argv[1..]); stdin is /dev/null.
Outcome run(const std::vector<std::string>& args, int timeout_seconds = kTimeoutSeconds) {
  Outcome o;
  int out_pipe[2], err_pipe[2];
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err_pipe, O_CLOEXEC) == 0);
  const std::string bin = lockstep_bin();
  std::vector<std::string> argv_store = {bin};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    struct rlimit no_core = {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
#ifndef LOCKSTEP_CLI_NO_RLIMIT
    struct rlimit as = {kAddressSpaceLimit, kAddressSpaceLimit};
    ::setrlimit(RLIMIT_AS, &as);
#endif
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&o.out, &o.err};
  int open_fds = 2;
  bool killed = false;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 && !killed) {
      ::kill(pid, SIGKILL);
      killed = true;
      o.timed_out = true;
    }
    const int n = ::poll(fds, 2, killed ? 1000 : static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || !(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      const ssize_t got = ::read(fds[k].fd, buf, sizeof buf);
      if (got > 0) {
        const size_t keep = std::min(static_cast<size_t>(got), kMaxCapture - std::min(kMaxCapture, sinks[k]->size()));
        sinks[k]->append(buf, keep);
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
      }
    }
    if (killed && n == 0) break;  // a grandchild holding the pipes open: give up on them
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  if (o.timed_out) o.signal = 0;  // our SIGKILL, reported as the timeout
  return o;
}

// The bad-input contract. `mentions`: a string the one error line must contain (the offending
// file or value), so the message says what was wrong.
void expect_rejected(const std::vector<std::string>& args, const std::string& mentions) {
  std::string cmd = "lockstep";
  for (auto& a : args) cmd += " " + (a.size() > 80 ? a.substr(0, 80) + "..." : a);
  CAPTURE(cmd);
  const Outcome o = run(args);
  CAPTURE(o.describe());
  CHECK_MESSAGE(!o.timed_out, "hangs on bad input");
  CHECK_MESSAGE(o.signal == 0, "crashes on bad input");
  if (o.timed_out || o.signal) return;
  CHECK(o.exit_code != 0);
  CHECK(o.exit_code != 127);  // 127: the binary could not be executed
  const auto lines = o.err_lines();
  CHECK_MESSAGE(lines.size() == 1, "expected exactly one line on stderr");
  if (lines.size() != 1) return;
  CHECK(lines[0].rfind("lockstep", 0) == 0);
  CHECK_MESSAGE(lines[0].find(mentions) != std::string::npos, "the message should name '", mentions, "'");
}

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A scratch directory for crafted inputs, removed at exit.
class Scratch {
 public:
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "lockstep-cli-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) dir_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::vector<unsigned char>& bytes) const {
    REQUIRE(!dir_.empty());
    const std::string path = (fs::path(dir_) / name).string();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                 static_cast<std::streamsize>(bytes.size()));
    return path;
  }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

const Scratch& scratch() {
  static const Scratch kScratch;
  return kScratch;
}

// The real guest, checked to be the ELF64 RISC-V executable the patches below assume.
std::vector<unsigned char> guest_bytes() {
  const std::string path = hello_elf();
  INFO("guest ELF: ", path, " (built by the 'guests' target)");
  REQUIRE(fs::exists(path));
  std::vector<unsigned char> b = read_bytes(path);
  REQUIRE(b.size() > sizeof(Elf64_Ehdr));
  Elf64_Ehdr eh;
  std::memcpy(&eh, b.data(), sizeof eh);
  REQUIRE(eh.e_ident[EI_CLASS] == ELFCLASS64);
  REQUIRE(eh.e_machine == EM_RISCV);
  REQUIRE(eh.e_phnum >= 1);
  REQUIRE(eh.e_phoff + eh.e_phnum * sizeof(Elf64_Phdr) <= b.size());
  return b;
}

Elf64_Ehdr& ehdr(std::vector<unsigned char>& b) { return *reinterpret_cast<Elf64_Ehdr*>(b.data()); }

// The first PT_LOAD program header of `b`.
Elf64_Phdr& first_load(std::vector<unsigned char>& b) {
  const Elf64_Ehdr& eh = ehdr(b);
  for (unsigned k = 0; k < eh.e_phnum; ++k) {
    auto* ph = reinterpret_cast<Elf64_Phdr*>(b.data() + eh.e_phoff + k * sizeof(Elf64_Phdr));
    if (ph->p_type == PT_LOAD) return *ph;
  }
  FAIL("the guest has no PT_LOAD segment");
  throw 0;  // not reached
}

// A minimal ELF32 RISC-V executable: one PT_LOAD of 16 bytes at 0x80000000.
std::vector<unsigned char> elf32_riscv() {
  Elf32_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS32;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_RISCV;
  eh.e_version = EV_CURRENT;
  eh.e_entry = 0x80000000;
  eh.e_phoff = sizeof(Elf32_Ehdr);
  eh.e_ehsize = sizeof(Elf32_Ehdr);
  eh.e_phentsize = sizeof(Elf32_Phdr);
  eh.e_phnum = 1;
  Elf32_Phdr ph{};
  ph.p_type = PT_LOAD;
  ph.p_offset = sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr);
  ph.p_vaddr = ph.p_paddr = 0x80000000;
  ph.p_filesz = ph.p_memsz = 16;
  ph.p_flags = PF_R | PF_X;
  ph.p_align = 4;
  std::vector<unsigned char> b(sizeof eh + sizeof ph + 16, 0);
  std::memcpy(b.data(), &eh, sizeof eh);
  std::memcpy(b.data() + sizeof eh, &ph, sizeof ph);
  return b;
}

std::vector<std::string> kernel(const std::string& path) { return {"run", "-bios", "none", "-kernel", path}; }

std::vector<std::string> with(std::vector<std::string> args, std::initializer_list<std::string> more) {
  args.insert(args.end(), more);
  return args;
}

// "digest <icount> <16 hex digits>" lines of a run's stderr.
std::vector<std::string> digest_lines(const Outcome& o) {
  std::vector<std::string> out;
  for (const std::string& l : o.err_lines()) {
    if (l.rfind("digest ", 0) == 0) out.push_back(l);
  }
  return out;
}

bool well_formed_digest(const std::string& line, const std::string& icount) {
  const std::string prefix = "digest " + icount + " ";
  if (line.rfind(prefix, 0) != 0) return false;
  const std::string hash = line.substr(prefix.size());
  return hash.size() == 16 && hash.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

TEST_SUITE("bad-input") {
  TEST_CASE("missing, unreadable and empty -kernel files") {
    const std::string missing = scratch().dir() + "/does-not-exist.elf";
    expect_rejected(kernel(missing), "does-not-exist.elf");
    // A directory: opening succeeds on Linux, reading fails.
    expect_rejected(kernel(scratch().dir()), scratch().dir());
    expect_rejected(with({"run", "-kernel", hello_elf()}, {"-bios", scratch().dir()}), scratch().dir());
    // An empty file is no kernel (QEMU: "could not load kernel"), not a guest that runs zeros forever.
    const std::string empty = scratch().write("empty.bin", {});
    expect_rejected(kernel(empty), "empty.bin");
    // An endless file must not be read without bound.
    expect_rejected(kernel("/dev/zero"), "/dev/zero");
  }

  TEST_CASE("RAM too small for the kernel and the device tree: refused, not a guest that traps forever") {
    // Under 4 MiB QEMU's placement rule puts the tree at RAM base, over the kernel (QEMU: "rom:
    // requested regions overlap").
    for (const char* m : {"1M", "2M"}) {
      CAPTURE(m);
      expect_rejected(with(kernel(hello_elf()), {"-m", m, "--max-insns", "100000"}), "requested regions overlap");
    }
  }

  TEST_CASE("-dtb files that are not a usable device tree") {
    const auto dtb_run = [](const std::string& path, std::initializer_list<std::string> more = {}) {
      return with(with(kernel(hello_elf()), {"-dtb", path, "--max-insns", "1000"}), more);
    };
    expect_rejected(dtb_run(scratch().dir() + "/no-such.dtb"), "no-such.dtb");
    expect_rejected(dtb_run(scratch().write("empty.dtb", {})), "empty.dtb");
    expect_rejected(dtb_run(scratch().write("text.dtb", {'/', 'd', 't', 's', '-', 'v', '1', '/', ';', '\n'})),
                    "not a valid flattened device tree");
    expect_rejected(dtb_run("/dev/zero"), "/dev/zero");
    // The board's own tree, cut short or with a header that claims more than the file holds.
    const std::string board = scratch().dir() + "/board.dtb";
    REQUIRE(run(with(kernel(hello_elf()), {"--dumpdtb", board})).exit_code == 0);
    std::vector<unsigned char> tree = read_bytes(board);
    REQUIRE(tree.size() > 64);
    expect_rejected(dtb_run(scratch().write("cut.dtb", {tree.begin(), tree.begin() + 64})), "cut.dtb");
    std::vector<unsigned char> claims = tree;
    claims[4] = 0x7f;  // totalsize, big-endian: ~2 GiB
    expect_rejected(dtb_run(scratch().write("claims.dtb", claims)), "claims.dtb");
    // A well-formed tree without /chosen: QEMU exits "Couldn't find node /chosen"; so do we.
    // `/dts-v1/; / { };` as dtc writes it: header, an empty reservation map, the root node.
    std::vector<unsigned char> no_chosen = {0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 0x48, 0, 0, 0, 0x38, 0, 0, 0, 0x48,
                                            0,    0,    0,    0x28, 0, 0, 0, 0x11, 0, 0, 0, 0x10, 0, 0, 0, 0,
                                            0,    0,    0,    0,    0, 0, 0, 0x10};
    no_chosen.resize(0x38);  // the reservation map's terminating entry
    for (unsigned char b : {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 9}) no_chosen.push_back(b);
    expect_rejected(dtb_run(scratch().write("no-chosen.dtb", no_chosen)), "/chosen");
  }

  TEST_CASE("-device and -drive if=none that do not fit together") {
    const std::string disk = scratch().write("dev-disk.img", std::vector<unsigned char>(4096, 0));
    const auto base = with(kernel(hello_elf()), {"--max-insns", "1000"});
    expect_rejected(with(base, {"-device", "virtio-blk-device,drive=nope"}), "can't find value 'nope'");
    expect_rejected(with(base, {"-device", "virtio-blk-device"}), "drive property not set");
    expect_rejected(with(base, {"-drive", "file=" + disk + ",if=none"}), "if=none needs id=");
    expect_rejected(with(base, {"-drive", "file=" + disk + ",if=none,id=d", "-device", "virtio-blk-device,drive=d",
                                "-device", "virtio-blk-device,drive=d"}),
                    "already in use");
    expect_rejected(with(base, {"-device", "virtio-gpu-device"}), "unknown device");
  }

  TEST_CASE("-netdev and -device virtio-net-device that do not fit together") {
    const auto base = with(kernel(hello_elf()), {"--max-insns", "1000"});
    expect_rejected(with(base, {"-device", "virtio-net-device,netdev=nope"}), "can't find value 'nope'");
    expect_rejected(with(base, {"-netdev", "user"}), "Parameter 'id' is missing");
    expect_rejected(with(base, {"-netdev", "tap,id=n0"}), "not supported");
    expect_rejected(with(base, {"-netdev", "user,id=n0,hostfwd=tcp::99999-:22"}), "host forwarding rule");
    expect_rejected(with(base, {"-netdev", "echo,id=n0", "-netdev", "echo,id=n0"}), "Duplicate ID 'n0'");
    expect_rejected(with(base, {"-netdev", "echo,id=n0", "-device", "virtio-net-device,netdev=n0", "-device",
                                "virtio-net-device,netdev=n0"}),
                    "it's in use");
    expect_rejected(with(base, {"-device", "virtio-net-device,mac=52:54:zz:12:34:56"}), "doesn't take value");
    // Nobody listens on port 1 of the loopback: the connect fails at start, naming the address.
    expect_rejected(with(base, {"-netdev", "socket,id=n0,connect=127.0.0.1:1", "-device", "virtio-net-device,netdev=n0"}),
                    "127.0.0.1:1");
    // A NIC without a backend is QEMU's too: accepted, its frames go nowhere.
    Outcome o = run(with(base, {"-device", "virtio-net-device"}));
    CAPTURE(o.describe());
    CHECK(o.exit_code == 3);
  }

  TEST_CASE("a trap vector that cannot be fetched stops the run with exit 4 on both engines") {
    // An all-zero word is an illegal instruction; mtvec is 0 at reset and nothing is at address 0,
    // so every fetch traps to itself and no instruction retires: --max-insns could never fire.
    const std::string zeros = scratch().write("zero-word.bin", {0, 0, 0, 0});
    for (const char* jit : {"off", "on"}) {
      CAPTURE(jit);
      const Outcome o = run(with(kernel(zeros), {"-m", "8M", "--max-insns", "1000000", "--jit", jit}));
      CAPTURE(o.describe());
      REQUIRE_FALSE(o.timed_out);
      CHECK(o.exit_code == 4);
      CHECK(o.err.find("cannot fetch its trap vector 0x0") != std::string::npos);
    }
  }

  TEST_CASE("ELF files that are not an RV64 executable") {
    // The host's own /bin/true: an x86-64 (or other non-RISC-V) ELF.
    REQUIRE(fs::exists("/bin/true"));
    expect_rejected(kernel("/bin/true"), "/bin/true");
    expect_rejected(kernel(scratch().write("rv32.elf", elf32_riscv())), "rv32.elf");
    auto b = guest_bytes();
    b[EI_DATA] = ELFDATA2MSB;
    expect_rejected(kernel(scratch().write("big-endian.elf", b)), "big-endian.elf");
    b = guest_bytes();
    ehdr(b).e_type = ET_REL;
    expect_rejected(kernel(scratch().write("relocatable.elf", b)), "relocatable.elf");
    expect_rejected(kernel(scratch().write("magic-only.elf", {0x7f, 'E', 'L', 'F'})), "magic-only.elf");
  }

  TEST_CASE("malformed ELF structure") {
    auto b = guest_bytes();
    b.resize(100);  // the ELF header and a part of the program headers
    expect_rejected(kernel(scratch().write("truncated.elf", b)), "truncated.elf");

    b = guest_bytes();
    ehdr(b).e_phoff = b.size() + 4096;
    expect_rejected(kernel(scratch().write("phoff-beyond-end.elf", b)), "phoff-beyond-end.elf");

    b = guest_bytes();
    ehdr(b).e_phnum = 0xffff;
    expect_rejected(kernel(scratch().write("phnum-huge.elf", b)), "phnum-huge.elf");

    b = guest_bytes();
    first_load(b).p_offset = ~Elf64_Off{0} - 0xfff;
    expect_rejected(kernel(scratch().write("segment-offset-beyond-end.elf", b)), "segment-offset-beyond-end.elf");

    b = guest_bytes();
    first_load(b).p_filesz = first_load(b).p_memsz + 1;
    expect_rejected(kernel(scratch().write("filesz-over-memsz.elf", b)), "filesz-over-memsz.elf");

    b = guest_bytes();
    ehdr(b).e_shoff = ~Elf64_Off{0} - 0xf;
    expect_rejected(kernel(scratch().write("shoff-beyond-end.elf", b)), "shoff-beyond-end.elf");
  }

  TEST_CASE("ELF segments that do not fit guest RAM") {
    auto b = guest_bytes();
    first_load(b).p_paddr = first_load(b).p_vaddr = 0x70000000;  // below RAM (0x80000000)
    expect_rejected(kernel(scratch().write("below-ram.elf", b)), "below-ram.elf");

    b = guest_bytes();
    first_load(b).p_memsz = Elf64_Xword{1} << 32;  // 4 GiB into the default 128 MiB
    expect_rejected(kernel(scratch().write("larger-than-ram.elf", b)), "larger-than-ram.elf");

    b = guest_bytes();
    first_load(b).p_memsz = ~Elf64_Xword{0};  // paddr + memsz wraps
    expect_rejected(kernel(scratch().write("wrapping-segment.elf", b)), "wrapping-segment.elf");
  }

  TEST_CASE("malformed -m values") {
    for (const char* m : {"abc", "0", "-5", "12Q", "1.5.2G", "99999999999999999999"}) {
      expect_rejected(with(kernel(hello_elf()), {"-m", m}), m);
    }
    // Well-formed sizes the board cannot have: the message gives the size in bytes.
    expect_rejected(with(kernel(hello_elf()), {"-m", "0.5K"}), "RAM size");
    expect_rejected(with(kernel(hello_elf()), {"-m", "17G"}), "RAM size");
  }

#ifndef LOCKSTEP_CLI_NO_RLIMIT
  TEST_CASE("guest RAM the host cannot allocate") {
    // 2 GiB is a valid size, but not under the children's 1 GiB address-space limit: a failed
    // allocation is an error message, not an uncaught exception.
    expect_rejected(with(kernel(hello_elf()), {"-m", "2G"}), "RAM");
  }
#endif

  TEST_CASE("-rtc, -serial, -gdb and record/replay/debug arguments that do not make sense") {
    const auto base = kernel(hello_elf());
    expect_rejected(with(base, {"-rtc", "base=yesterday"}), "give utc or a date");
    expect_rejected(with(base, {"-rtc", "base=1969-12-31"}), "from 1970 on");
    expect_rejected(with(base, {"-rtc", "clock=host"}), "only clock is the instruction count");
    expect_rejected(with(base, {"-rtc", "bogus=1"}), "unknown option 'bogus'");
    expect_rejected(with(base, {"-serial", "pty"}), "stdio or mon:stdio");
    expect_rejected(with(base, {"-S"}), "-S waits for gdb");
    expect_rejected(with(base, {"-s", "-gdb", "tcp::1"}), "give one of them");
    expect_rejected(with(base, {"-gdb", "udp:1234"}), "expected tcp::PORT, tcp:HOST:PORT or unix:PATH");
    expect_rejected(with(base, {"-s", "--max-insns", "10"}), "cannot be combined");
    expect_rejected(with(base, {"--gdb-checkpoint-interval", "5"}), "need -s or -gdb");
    const std::string junk = scratch().write("junk.trace", std::vector<unsigned char>(100, 'x'));
    for (const char* command : {"replay", "debug"}) expect_rejected({command, junk}, "is not a lockstep trace");
    expect_rejected({"replay", "/nonexistent.trace"}, "cannot open trace");
    expect_rejected({"record", "-o", scratch().dir() + "/x.trace", "--", "-kernel", "/nonexistent.elf"},
                    "/nonexistent.elf");
    expect_rejected({"record", "-o", scratch().dir() + "/y.trace", "--digest-interval", "many", "--", "-kernel",
                     hello_elf()},
                    "--digest-interval");
  }

  TEST_CASE("-smp out of range") {
    // 4294967297 = 2^32 + 1 must not wrap to 1 hart, nor -1 to 4294967295.
    for (const char* n : {"0", "99", "abc", "-1", "4294967297"}) {
      expect_rejected(with(kernel(hello_elf()), {"-smp", n}), n);
    }
  }

  TEST_CASE("unknown options, machine types and engines") {
    expect_rejected(with(kernel(hello_elf()), {"--frobnicate"}), "--frobnicate");
    expect_rejected(with(kernel(hello_elf()), {"-foo"}), "-foo");
    expect_rejected(with(kernel(hello_elf()), {"-M", "pc"}), "pc");
    expect_rejected({"frobnicate"}, "frobnicate");  // unknown subcommand
    expect_rejected(with(kernel(hello_elf()), {"--jit-threshold", "0"}), "--jit-threshold");
    expect_rejected(with(kernel(hello_elf()), {"--jit-threshold", "lots"}), "--jit-threshold");
    expect_rejected(with(kernel(hello_elf()), {"--jit-cache-regions", "-3"}), "--jit-cache-regions");
    expect_rejected(with(kernel(hello_elf()), {"--jit=off", "--jit-verify"}), "--jit=on or auto");
    expect_rejected(with(kernel(hello_elf()), {"--jit=sideways"}), "sideways");
  }

  TEST_CASE("--max-insns that is not a number of instructions") {
    for (const char* n : {"abc", "1e3", "-1", "18446744073709551617"}) {
      expect_rejected(with(kernel(hello_elf()), {"--max-insns", n}), n);
    }
  }

  TEST_CASE("snapshot explain of a stream file that does not exist") {
    const std::string missing = scratch().dir() + "/no-such.mig";
    // Not a list of comparisons against an empty stream ("page size 0 in the stream"): the open error.
    expect_rejected({"snapshot", "explain", missing, "--", "-bios", "none", "-kernel", hello_elf()},
                    "cannot open " + missing + ": No such file or directory");
    expect_rejected({"snapshot", "explain", "--json", missing, "--", "-bios", "none", "-kernel", hello_elf()},
                    "cannot open " + missing);
  }

  TEST_CASE("--save-at and --migrate-at after the guest has stopped: said, exit 5, nothing written") {
    // hello.elf stops after a few thousand instructions.
    const std::string never = scratch().dir() + "/never.mig";
    expect_rejected(with(kernel(hello_elf()), {"--save-at", "999999999=" + never}),
                    "--save-at 999999999: the guest stopped at icount ");
    Outcome o = run(with(kernel(hello_elf()), {"--save-at", "999999999=" + never}));
    CHECK(o.exit_code == 5);
    CHECK(o.err.find("before 999999999; " + never + " not written") != std::string::npos);
    CHECK_FALSE(fs::exists(never));
    const std::string socket = "unix:" + scratch().dir() + "/never.sock";
    o = run(with(kernel(hello_elf()), {"--migrate-at", "999999999=" + socket}));
    CAPTURE(o.describe());
    CHECK(o.exit_code == 5);
    CHECK(o.err.find("--migrate-at 999999999: the guest stopped at icount ") != std::string::npos);
    CHECK(o.err.find("nothing sent to " + socket) != std::string::npos);
    // A cut the guest reaches is still silent and exit 0.
    const std::string reached = scratch().dir() + "/reached.mig";
    o = run(with(kernel(hello_elf()), {"--save-at", "100=" + reached}));
    CAPTURE(o.describe());
    CHECK(o.exit_code == 0);
    CHECK(o.err.empty());
    CHECK(fs::exists(reached));
  }
}

TEST_SUITE("help") {
  TEST_CASE("lockstep run --help describes the options and exits 0") {
    const Outcome o = run({"run", "--help"});
    CAPTURE(o.describe());
    REQUIRE(!o.timed_out);
    CHECK(o.signal == 0);
    CHECK(o.exit_code == 0);
    for (const char* option : {"-kernel", "--max-insns", "--digest", "--trace", "-bios", "-smp"}) {
      CAPTURE(option);
      CHECK(o.out.find(option) != std::string::npos);
    }
  }

  TEST_CASE("lockstep --help lists the commands and exits 0") {
    const Outcome o = run({"--help"});
    CAPTURE(o.describe());
    CHECK(o.exit_code == 0);
    CHECK(o.out.find("run") != std::string::npos);
  }

  TEST_CASE("lockstep with no arguments prints usage and fails") {
    const Outcome o = run({});
    CAPTURE(o.describe());
    REQUIRE(!o.timed_out);
    CHECK(o.signal == 0);
    CHECK(o.exit_code != 0);
    CHECK(o.err.find("usage") != std::string::npos);
  }
}

TEST_SUITE("determinism") {
  TEST_CASE("the same guest twice: identical console output and digest") {
    const auto args = with(kernel(hello_elf()), {"--digest"});
    REQUIRE(fs::exists(hello_elf()));
    const Outcome a = run(args, 60);
    const Outcome b = run(args, 60);
    CAPTURE(a.describe());
    CAPTURE(b.describe());
    REQUIRE(!a.timed_out);
    REQUIRE(!b.timed_out);
    CHECK(a.exit_code == 0);
    CHECK(b.exit_code == 0);
    CHECK(!a.out.empty());
    CHECK(a.out == b.out);
    const auto da = digest_lines(a), db = digest_lines(b);
    REQUIRE(da.size() == 1);
    REQUIRE(db.size() == 1);
    CHECK(da[0] == db[0]);
    const std::string icount = da[0].substr(7, da[0].find(' ', 7) - 7);
    CHECK(well_formed_digest(da[0], icount));
    CHECK(icount != "0");
  }
}

// ARGS run twice: exit 0, the same output and the same single digest line; VARIANT (the same
// guest with one setting changed) must digest differently, so the setting reaches the state.
static void check_twice_then_variant(const std::vector<std::string>& args, const std::vector<std::string>& variant) {
  const Outcome a = run(args, 60), b = run(args, 60);
  CAPTURE(a.describe());
  REQUIRE(a.exit_code == 0);
  CHECK(a.out == b.out);
  const auto da = digest_lines(a), db = digest_lines(b);
  REQUIRE(da.size() == 1);
  REQUIRE(db.size() == 1);
  CHECK(da[0] == db[0]);
  const auto dc = digest_lines(run(variant, 60));
  REQUIRE(dc.size() == 1);
  CHECK(dc[0] != da[0]);
}

// -dtb (a user's tree, as QEMU edits it) and QEMU's spelling of a virtio disk: run twice, the same
// output and digest; a different -seed gives the tree another rng-seed and so another digest.
TEST_CASE("-dtb and -device virtio-blk-device twice: identical digests; -seed reaches the tree" *
          doctest::test_suite("determinism")) {
  const std::string board = scratch().dir() + "/det-board.dtb";
  REQUIRE(run(with(kernel(hello_elf()), {"--dumpdtb", board})).exit_code == 0);
  const std::string disk = scratch().write("det-disk.img", std::vector<unsigned char>(64 * 1024, 0x5a));
  const auto args = with(kernel(hello_elf()), {"-dtb", board, "-drive", "file=" + disk + ",format=raw,if=none,id=d0",
                                               "-device", "virtio-blk-device,drive=d0", "--digest"});
  check_twice_then_variant(args, with(args, {"-seed", "2"}));
}

// A NIC on lockstep's echo host: the same command twice gives the same digest, and the NIC is in
// it (another MAC, another digest). Linux drives the device in tests/linux (linux/engines).
TEST_CASE("-netdev echo with -device virtio-net-device twice: identical digests; the MAC reaches the state" *
          doctest::test_suite("determinism")) {
  const auto nic = [](const std::string& device) {
    return with(kernel(hello_elf()), {"-netdev", "echo,id=n0,delay=2000", "-device", device, "--digest"});
  };
  check_twice_then_variant(nic("virtio-net-device,netdev=n0"), nic("virtio-net-device,netdev=n0,mac=52:54:00:12:34:99"));
}

TEST_SUITE("max-insns") {
  TEST_CASE("--max-insns 1000 stops at icount 1000 with exit code 3, deterministically") {
    const auto args = with(kernel(hello_elf()), {"--max-insns", "1000", "--digest"});
    const Outcome a = run(args);
    const Outcome b = run(args);
    CAPTURE(a.describe());
    REQUIRE(!a.timed_out);
    CHECK(a.signal == 0);
    CHECK(a.exit_code == 3);
    // stderr: the one-line notice, then the digest line.
    const auto lines = a.err_lines();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].rfind("lockstep", 0) == 0);
    CHECK(lines[0].find("1000") != std::string::npos);
    CHECK(well_formed_digest(lines[1], "1000"));
    CHECK(a.err == b.err);
    CHECK(a.out == b.out);
  }

  TEST_CASE("the digest covers the state: cuts at 999 and 1000 differ") {
    const Outcome a = run(with(kernel(hello_elf()), {"--max-insns", "999", "--digest"}));
    const Outcome b = run(with(kernel(hello_elf()), {"--max-insns", "1000", "--digest"}));
    CAPTURE(a.describe());
    CAPTURE(b.describe());
    const auto da = digest_lines(a), db = digest_lines(b);
    REQUIRE(da.size() == 1);
    REQUIRE(db.size() == 1);
    CHECK(well_formed_digest(da[0], "999"));
    CHECK(da[0].substr(da[0].rfind(' ')) != db[0].substr(db[0].rfind(' ')));
  }
}
