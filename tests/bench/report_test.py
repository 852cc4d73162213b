#!/usr/bin/env python3
"""bench/lib/report.py: the "CPU per transfer" arithmetic, and compose() writing it into
latest.json and latest.md."""
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "bench", "lib"))
import report  # noqa: E402


def s1(**changes):
    scenario = {"name": "s1-max", "n": 4, "mode": "max", "offered_tx_per_s": None,
                "window_s": 10, "tx_per_s": 2000, "tx_per_s_getblock": 2000,
                "counts_agree": True, "percent_of_bound": 20.0,
                "latency_ms": {"p50": 900, "p90": 1000, "p99": 1100, "max": 1200},
                "blocks_per_s": 5, "txs_per_block": 400, "rss_anon_mib_max": 150,
                "view_changes": 0, "sent": 20000, "committed": 20000, "all_committed": True,
                "nodes": [{"id": i, "cpu_percent": 40.0} for i in range(4)],
                "bench_cpu_percent": 10.0}
    scenario.update(changes)
    return scenario


class CpuPerTx(unittest.TestCase):
    def test_figures(self):
        # 40% of a core at 2,000 tx/s is 200 us per transfer; a verify at 40,000/s on 2 cores
        # is 50 us; 60% of the n = 4 bound (10,000 tx/s) is 6,000 tx/s, where the machine has
        # 333.3 us per transfer, 50 of them the load generator's: 70.8 per node, 20.8 besides
        # the verify.
        c = report.cpu_per_tx(s1(), verify_per_s=40000, cores=2)
        self.assertEqual(c["node_us"], [200.0] * 4)
        self.assertEqual(c["node_us_mean"], 200.0)
        self.assertEqual(c["bench_us"], 50.0)
        self.assertEqual(c["verify_us"], 50.0)
        self.assertEqual(c["verify_share_percent"], 25.0)
        self.assertEqual(c["other_us"], 150.0)
        self.assertEqual(c["machine_busy_percent"], 85.0)
        self.assertEqual(c["target_tx_per_s"], 6000)
        self.assertEqual(c["target_node_us"], 70.8)
        self.assertEqual(c["target_other_us"], 20.8)

    def test_uneven_nodes_use_their_mean(self):
        nodes = [{"id": 0, "cpu_percent": 30.0}, {"id": 1, "cpu_percent": 50.0}]
        c = report.cpu_per_tx(s1(n=2, nodes=nodes), verify_per_s=40000, cores=2)
        self.assertEqual(c["node_us"], [150.0, 250.0])
        self.assertEqual(c["node_us_mean"], 200.0)
        self.assertEqual(c["target_tx_per_s"], 12000)

    def test_missing_figures_give_none(self):
        self.assertIsNone(report.cpu_per_tx(None, 40000, 2))
        self.assertIsNone(report.cpu_per_tx({"name": "s1-max", "error": "x"}, 40000, 2))
        self.assertIsNone(report.cpu_per_tx(s1(tx_per_s=0), 40000, 2))
        self.assertIsNone(report.cpu_per_tx(s1(nodes=[]), 40000, 2))
        self.assertIsNone(report.cpu_per_tx(s1(), 40000, None))

    def test_a_target_beyond_the_machine_says_so(self):
        # A verify rate so low that 60% of the bound leaves less than one verify per node.
        lines = report.cpu_lines(report.cpu_per_tx(s1(bench_cpu_percent=150.0), 40000, 2))
        self.assertIn("does not fit", lines[-1])


class Tried(unittest.TestCase):
    def test_sessions_and_their_steps_in_order(self):
        with tempfile.TemporaryDirectory() as work:
            path = os.path.join(work, "performance.md")
            with open(path, "w") as f:
                f.write("# Performance\n## Targets\n### Not a step\n"
                        "## Session 4: the disk\n### Step 2: a writer thread\nbody\n"
                        "### Step 5: one sync\n## Session 5\n"
                        "## Step 1: blocks in one transaction\n### detail\n")
            sessions = report.tried(path)
            self.assertEqual(sessions, [
                ("Session 4: the disk", ["Step 2: a writer thread", "Step 5: one sync"]),
                ("Session 5", []),
                ("Step 1: blocks in one transaction", ["detail"])])
            lines = report.tried_lines(sessions)
            self.assertIn("## What was tried", lines)
            self.assertIn("- Session 4: the disk: Step 2: a writer thread; Step 5: one sync", lines)
            self.assertEqual(report.tried(os.path.join(work, "missing.md")), [])
            self.assertEqual(report.tried_lines([]), [])


class Compose(unittest.TestCase):
    def test_latest_carries_cpu_per_tx(self):
        with tempfile.TemporaryDirectory() as work:
            machine = {"cpu": "test", "cores": 2, "memory_mib": 1, "kernel": "k"}
            with open(os.path.join(work, "bound.json"), "w") as f:
                json.dump({"verify_per_s": 40000, "idle": True, "bound_tx_per_s": 10000,
                           "machine": machine}, f)
            with open(os.path.join(work, "s1-max.json"), "w") as f:
                json.dump(s1(), f)
            report.compose(work, work, 10)
            with open(os.path.join(work, "latest.json")) as f:
                doc = json.load(f)
            self.assertEqual(doc["cpu_per_tx"]["other_us"], 150.0)
            self.assertEqual(doc["cpu_per_tx"]["target_other_us"], 20.8)
            with open(os.path.join(work, "latest.md")) as f:
                text = f.read()
            self.assertIn("## CPU per transfer", text)
            self.assertIn("must shrink 7.2x", text)
            self.assertIn("## What was tried", text)  # from the repository's performance.md
            self.assertTrue(any(t.startswith("Session 7") for t, _ in doc["tried"]))


if __name__ == "__main__":
    unittest.main()
