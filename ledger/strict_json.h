// ledger::parse_strict_json: JSON parsing for the files every node must read alike
// (genesis.json, a node's config.json). nlohmann::json silently keeps the last of duplicate
// keys, so a typo'd second "port" would win unnoticed; this parser refuses duplicates and
// nesting deeper than the document's shape allows (so a hostile file cannot recurse deep).
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "crypto/status.h"

namespace phalanx::ledger {

// Errors read "duplicate key 'port'", "nested too deeply" or "not valid JSON: <parser's
// message>". `depth_max` counts open objects and arrays (a flat object is depth 1).
Result<nlohmann::json> parse_strict_json(std::string_view text, size_t depth_max);

}  // namespace phalanx::ledger
