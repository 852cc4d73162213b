// phalanx-wallet: key management and transfers (docs/wallet.md).
#include <string>
#include <vector>

#include "wallet/wallet.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return phalanx::wallet::run_wallet(args, phalanx::wallet::WalletIo::system());
}
