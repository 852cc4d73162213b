#!/usr/bin/env python3
"""Self-tests of the fault suite's own logic, no processes: the checker's replay of the
state rules (ledger/state.h) and the partition plans that netfilter.py turns into cuts.
A checker that cannot fail proves nothing, so each rule is shown failing a transaction.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from faultlib import netfilter  # noqa: E402
from faultlib.checker import AMOUNT_MAX, Replay  # noqa: E402


def tx(sender, to, amount, fee, nonce):
    return {"from": sender, "to": to, "amount": amount, "fee": fee, "nonce": nonce}


class ReplayTest(unittest.TestCase):
    def setUp(self):
        self.replay = Replay({"a": 100, "b": 0})

    def test_a_transfer_moves_amount_and_burns_the_fee(self):
        self.replay.apply("h1", tx("a", "b", 30, 2, 0))
        self.assertEqual(self.replay.status["h1"], "committed")
        self.assertEqual(self.replay.balances, {"a": 68, "b": 30})
        self.assertEqual((self.replay.burned, self.replay.nonces["a"]), (2, 1))

    def test_each_rule_fails_a_transaction_and_changes_nothing(self):
        cases = {"gap": tx("a", "b", 1, 1, 1), "used": tx("a", "b", 1, 1, -1),
                 "balance": tx("a", "b", 100, 1, 0), "zero": tx("a", "b", 0, 1, 0),
                 "too large": tx("a", "b", AMOUNT_MAX + 1, 0, 0),
                 "fee too large": tx("a", "b", 1, AMOUNT_MAX + 1, 0),
                 "unknown sender": tx("c", "b", 1, 0, 0)}
        for name, t in cases.items():
            self.replay.apply(name, t)
            self.assertEqual(self.replay.status[name], "failed", name)
        self.assertEqual(self.replay.balances, {"a": 100, "b": 0})
        self.assertEqual(self.replay.burned, 0)

    def test_recipient_overflow_fails(self):
        replay = Replay({"a": 10, "b": AMOUNT_MAX - 5})
        replay.apply("h", tx("a", "b", 6, 0, 0))
        self.assertEqual(replay.status["h"], "failed")

    def test_a_self_transfer_only_pays_the_fee(self):
        self.replay.apply("h", tx("a", "a", 50, 3, 0))
        self.assertEqual(self.replay.balances["a"], 97)

    def test_a_duplicate_is_counted_not_executed(self):
        self.replay.apply("h", tx("a", "b", 10, 0, 0))
        self.replay.apply("h", tx("a", "b", 10, 0, 0))
        self.assertEqual((self.replay.duplicates, self.replay.balances["b"]), (1, 10))


class PartitionPlanTest(unittest.TestCase):
    def cuts(self, groups):
        net = netfilter.Netfilter()
        net._iptables = lambda *args, check=True: True  # plan only, no iptables
        hosts = [f"127.0.9.{10 + i}" for i in range(4)]
        net.partition(groups, hosts)
        return {(hosts.index(a), hosts.index(b)) for a, b in net.cuts}

    def test_majority_minority_cuts_every_link_across_both_ways(self):
        self.assertEqual(self.cuts([[0, 1, 2], [3]]),
                         {(0, 3), (3, 0), (1, 3), (3, 1), (2, 3), (3, 2)})

    def test_a_bridge_keeps_its_links_to_both_sides(self):
        self.assertEqual(self.cuts([[0, 1], [0, 2, 3]]), {(1, 2), (2, 1), (1, 3), (3, 1)})

    def test_addresses_outside_loopback_are_refused(self):
        net = netfilter.Netfilter()
        with self.assertRaises(ValueError):
            net.cut("127.0.0.5", "10.0.0.1")


if __name__ == "__main__":
    unittest.main()
