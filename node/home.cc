#include "node/home.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "crypto/file_io.h"

namespace phalanx::node {

namespace {

constexpr size_t kKeyFileBytesMax = 128;

bool exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// Writes all of `contents` to `fd`, retrying short writes.
Status write_all(int fd, const std::string& path, const std::string& contents) {
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error("cannot write " + path + ": " + errno_text());
    written += static_cast<size_t>(n);
  }
  return Status::ok();
}

}  // namespace

HomePaths::HomePaths(std::string root_dir)
    : root(std::move(root_dir)),
      config(root + "/config.json"),
      key(root + "/node.key"),
      genesis(root + "/genesis.json"),
      ledger_dir(root + "/data/ledger"),
      consensus_dir(root + "/data/consensus"),
      log(root + "/node.log"),
      lock(root + "/node.lock") {}

Status write_file_atomic(const std::string& path, const std::string& contents, unsigned mode) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::error("cannot create " + temporary + ": " + errno_text());
  Status written = write_all(fd, temporary, contents);
  if (written && ::fchmod(fd, mode) != 0) {
    written = Status::error("cannot set the mode of " + temporary + ": " + errno_text());
  }
  if (written && ::fsync(fd) != 0) {
    written = Status::error("cannot sync " + temporary + ": " + errno_text());
  }
  ::close(fd);
  if (written && ::rename(temporary.c_str(), path.c_str()) != 0) {
    written = Status::error("cannot rename " + temporary + " to " + path + ": " + errno_text());
  }
  if (!written) ::unlink(temporary.c_str());
  return written;
}

Result<crypto::PublicKey> init_home(const HomePaths& paths, const NodeConfig& config) {
  if (exists(paths.key) || exists(paths.config)) {
    return Status::error(paths.root + " is already initialised (it has " +
                         (exists(paths.key) ? paths.key : paths.config) +
                         "); refusing to overwrite a validator key");
  }
  std::error_code ec;
  const bool created = std::filesystem::create_directories(paths.root, ec);
  if (ec) return Status::error("cannot create " + paths.root + ": " + ec.message());
  if (created && ::chmod(paths.root.c_str(), 0700) != 0) {
    return Status::error("cannot set the mode of " + paths.root + ": " + errno_text());
  }
  const crypto::SecretKey key = crypto::SecretKey::generate();
  crypto::Seed seed = key.seed();
  std::string hex = hex_encode(seed) + "\n";
  crypto::secure_wipe(seed.data(), seed.size());
  const Status key_written = write_file_atomic(paths.key, hex, 0600);
  crypto::secure_wipe(hex.data(), hex.size());
  PHALANX_RETURN_IF_ERROR(key_written);
  PHALANX_RETURN_IF_ERROR(write_file_atomic(paths.config, node_config_to_json(config), 0644));
  return key.public_key();
}

Result<crypto::SecretKey> load_node_key(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Status::error("cannot read the node key " + path + ": " + errno_text() +
                         " (run `phalanxd init` first)");
  }
  if ((info.st_mode & 077) != 0) {
    return Status::error("the node key " + path + " is accessible by other users; run `chmod 600 " +
                         path + "`");
  }
  std::ifstream file(path, std::ios::binary);
  std::string text(kKeyFileBytesMax + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(file.gcount()));
  if (!text.empty() && text.back() == '\n') text.pop_back();
  auto seed = hex_decode_fixed<32>(text);
  crypto::secure_wipe(text.data(), text.size());
  if (!seed) return Status::error("the node key " + path + " is not a hex seed: " + seed.message());
  crypto::SecretKey key = crypto::SecretKey::from_seed(*seed);
  crypto::secure_wipe(seed->data(), seed->size());
  return key;
}

Result<HomeLock> HomeLock::acquire(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error("cannot open " + path + ": " + errno_text());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const std::string reason =
        errno == EWOULDBLOCK ? "another phalanxd is running on this home" : errno_text();
    ::close(fd);
    return Status::error("cannot lock " + path + ": " + reason);
  }
  return HomeLock(fd);
}

HomeLock::~HomeLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace phalanx::node
