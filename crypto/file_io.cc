#include "crypto/file_io.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "crypto/bytes.h"

namespace phalanx {
std::string errno_text() { return std::strerror(errno); }

Status write_all_and_sync(int fd, const std::string& content) {
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error(errno_text());
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return Status::error("fsync: " + errno_text());
  return Status::ok();
}

Status sync_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open directory " + dir + ": " + errno_text());
  const int rc = ::fsync(fd);
  const std::string message = errno_text();
  ::close(fd);
  if (rc != 0) return Status::error("cannot fsync directory " + dir + ": " + message);
  return Status::ok();
}

Result<std::string> read_small_file(const std::string& path, size_t max_bytes,
                                    const std::string& what) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::error(what + " " + path + ": no such file");
    return Status::error("cannot open " + what + " " + path + ": " + errno_text());
  }
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string message = "cannot read " + what + " " + path + ": " + errno_text();
      ::close(fd);
      return Status::error(message);
    }
    if (n == 0) break;
    if (text.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return Status::error(what + " " + path + " is larger than " + std::to_string(max_bytes) +
                           " bytes");
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

Status write_file_atomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const std::string dir =
      target.has_parent_path() ? target.parent_path().string() : std::string(".");
  std::array<uint8_t, 8> random{};
  randombytes_buf(random.data(), random.size());
  const std::string temp = dir + "/." + target.filename().string() + ".tmp-" + hex_encode(random);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::error("cannot create " + temp + ": " + errno_text());
  Status written = write_all_and_sync(fd, content);
  if (::close(fd) != 0 && written.is_ok()) written = Status::error("close: " + errno_text());
  if (!written.is_ok()) {
    ::unlink(temp.c_str());
    return Status::error("cannot write " + temp + ": " + written.message());
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string message = errno_text();
    ::unlink(temp.c_str());
    return Status::error("cannot move " + temp + " to " + path + ": " + message);
  }
  return sync_directory(dir);
}

Result<std::string> make_temp_dir(const std::string& prefix) {
  std::error_code error;
  const std::filesystem::path base = std::filesystem::temp_directory_path(error);
  if (error) return Status::error("no temporary directory: " + error.message());
  std::string path = (base / prefix).string();
  path += '-';
  path.append(6, 'X');  // the template suffix mkdtemp replaces
  if (::mkdtemp(path.data()) == nullptr) {
    return Status::error("cannot create a directory like " + path + ": " + std::strerror(errno));
  }
  return path;
}

}  // namespace phalanx
