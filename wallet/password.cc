#include "wallet/password.h"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/ed25519.h"

namespace phalanx::wallet {
namespace {

std::string errno_text() { return std::strerror(errno); }

void strip_line_end(std::string* text) {
  if (!text->empty() && text->back() == '\n') text->pop_back();
  if (!text->empty() && text->back() == '\r') text->pop_back();
}

// Reads up to kPasswordBytesMax + 1 bytes so an oversized input is detected, not truncated.
Result<std::string> read_bounded(int fd, bool stop_at_newline) {
  std::string text;
  char c = 0;
  while (text.size() <= kPasswordBytesMax) {
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::error(errno_text());
    if (n == 0) break;
    text.push_back(c);
    if (stop_at_newline && c == '\n') break;
  }
  return text;
}

Result<std::string> read_from_terminal(int fd) {
  termios saved{};
  if (::tcgetattr(fd, &saved) != 0) return Status::error("cannot read terminal settings");
  termios silent = saved;
  silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  silent.c_lflag |= ECHONL;  // still echo the newline, so the next output starts a line
  if (::tcsetattr(fd, TCSAFLUSH, &silent) != 0) return Status::error("cannot turn off echo");
  auto line = read_bounded(fd, /*stop_at_newline=*/true);
  ::tcsetattr(fd, TCSAFLUSH, &saved);
  return line;
}

Status check_password(const std::string& password, const std::string& source) {
  if (password.empty()) return Status::error("the password from " + source + " is empty");
  if (password.size() > kPasswordBytesMax) {
    return Status::error("the password from " + source + " is longer than " +
                         std::to_string(kPasswordBytesMax) + " bytes");
  }
  return Status::ok();
}

Result<std::string> prompt(const WalletIo& io, const std::string& text) {
  auto password = io.read_password(text);
  if (!password) {
    return Status::error("no password: " + password.message() + "; use --password-file FILE or " +
                         kPasswordEnvironmentVariable);
  }
  PHALANX_RETURN_IF_ERROR(check_password(*password, "the prompt"));
  return password;
}

}  // namespace

void wipe(std::string* secret) {
  if (!secret->empty()) crypto::secure_wipe(secret->data(), secret->size());
  secret->clear();
}

Result<std::string> read_password_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open password file " + path + ": " + errno_text());
  auto text = read_bounded(fd, /*stop_at_newline=*/false);
  ::close(fd);
  if (!text) return Status::error("cannot read password file " + path + ": " + text.message());
  strip_line_end(&*text);
  const Status valid = check_password(*text, "password file " + path);
  if (!valid.is_ok()) {
    wipe(&*text);
    return valid;
  }
  return text;
}

Result<std::string> obtain_password(const std::string& password_file, const WalletIo& io,
                                    const std::string& key_name, PasswordUse use) {
  if (!password_file.empty()) return read_password_file(password_file);
  std::optional<std::string> from_environment = io.getenv(kPasswordEnvironmentVariable);
  if (from_environment && !from_environment->empty()) {
    PHALANX_RETURN_IF_ERROR(check_password(*from_environment, kPasswordEnvironmentVariable));
    return *from_environment;
  }
  if (use == PasswordUse::kUnlock) return prompt(io, "Password for key '" + key_name + "': ");
  auto first = prompt(io, "Password for the new key '" + key_name + "': ");
  if (!first) return first;
  auto second = prompt(io, "Repeat the password: ");
  if (!second) {
    wipe(&*first);
    return second;
  }
  const bool same = *first == *second;
  wipe(&*second);
  if (!same) {
    wipe(&*first);
    return Status::error("the two passwords do not match; nothing was created");
  }
  return first;
}

Result<std::string> prompt_password_on_terminal(const std::string& prompt_text) {
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return Status::error("no terminal to ask on");
  const ssize_t written = ::write(fd, prompt_text.data(), prompt_text.size());
  auto line = written == static_cast<ssize_t>(prompt_text.size())
                  ? read_from_terminal(fd)
                  : Result<std::string>(Status::error("cannot write to the terminal"));
  ::close(fd);
  if (!line) return line;
  if (line->empty()) return Status::error("end of input at the password prompt");
  strip_line_end(&*line);
  return line;
}

}  // namespace phalanx::wallet
