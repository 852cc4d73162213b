// Where a key's password comes from, in order: --password-file F, else the environment
// variable PHALANX_WALLET_PASSWORD (empty counts as unset), else a prompt without echo on
// the controlling terminal — asked twice when a new key is created, so a typo cannot lock
// the key away. Passwords are wiped from memory by their owner after use (best effort:
// std::string may have copied them while growing).
// Thread-safety: functions touch only their arguments (and /dev/tty for the prompt).
#pragma once

#include <string>

#include "crypto/status.h"
#include "wallet/wallet.h"

namespace phalanx::wallet {

constexpr size_t kPasswordBytesMax = 1024;
constexpr const char* kPasswordEnvironmentVariable = "PHALANX_WALLET_PASSWORD";

enum class PasswordUse { kUnlock, kCreate };

// The file's content without one trailing "\n" or "\r\n"; refuses an empty or larger than
// kPasswordBytesMax file.
Result<std::string> read_password_file(const std::string& path);

// `key_name` only words the prompt. With kCreate a prompted password is asked twice.
Result<std::string> obtain_password(const std::string& password_file, const WalletIo& io,
                                    const std::string& key_name, PasswordUse use);

// The interactive prompt behind WalletIo::system(): writes `prompt` to /dev/tty and reads one
// line with echo turned off (termios), restoring the terminal afterwards.
Result<std::string> prompt_password_on_terminal(const std::string& prompt);

// Overwrites the string's bytes before it is freed.
void wipe(std::string* secret);

}  // namespace phalanx::wallet
