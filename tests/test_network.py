"""The nations' network as networkx graphs (issue 25.1, 25.3): layers, GraphML/GEXF round trips,
the un193 graph, the model's graph as ties change, measures, and `softpower network`.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from sim.analysis.network import hops_from, measures, model_graph, world_graph, write_graph
from sim.errors import NetworkError
from sim.model import exposure
from sim.model.model import SoftPowerModel
from sim.model.plan import Edge, Plan, PlannedEvent
from sim.world.graph import LAYERS, STRUCTURAL_LAYERS, jaccard
from sim.world.world import World

ROOT = Path(__file__).resolve().parents[1]
SOFTPOWER = Path(sys.executable).with_name("softpower")


def softpower(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SOFTPOWER), *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def _plain(value) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def test_world_graph_has_every_layer_and_graphml_safe_attributes(bundled_world):
    graph = world_graph(bundled_world)
    assert graph.graph["layers"] == ",".join(LAYERS)
    assert set(graph.nodes) == set(bundled_world.iso3)
    for _, data in graph.nodes(data=True):
        assert {"iso3", "name", "region", "blocs", "capacity_culture", "capacity_aid"} <= set(data)
        assert all(_plain(v) for v in data.values()), data
    for _, _, data in graph.edges(data=True):
        assert set(data) == {*LAYERS, "weight"}
        assert all(isinstance(v, float) for v in data.values())
    usa = graph.nodes["USA"]
    assert "NATO" in usa["blocs"].split(";") and usa["capacity_culture"] == 1.0
    usa_jpn = graph.edges["USA", "JPN"]
    assert usa_jpn["alliance"] == 1.0 and usa_jpn["weight"] == usa_jpn["social"]
    assert graph.edges["CHN", "TWN"]["rivalry"] == 1.0


def test_the_social_layer_is_the_kernels_mix_at_the_start(bundled_world):
    graph = world_graph(bundled_world, ["social"])
    model = SoftPowerModel(bundled_world, Plan(steps=1), rng=0)
    ties = model.ties.toarray()
    order = list(bundled_world.iso3)
    w = nx.to_numpy_array(graph, nodelist=order, weight="social")
    np.fill_diagonal(w, [graph.nodes[c]["social_self"] for c in order])
    np.testing.assert_allclose(w, ties, rtol=0, atol=1e-15)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)


def test_jaccard_is_the_models_shared_membership(bundled_world):
    members = bundled_world.membership_matrix()
    np.testing.assert_array_equal(jaccard(members), exposure.shared_membership(members))


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_a_graph_file_reads_back_with_the_same_nodes_edges_and_weights(
    bundled_world, tmp_path, suffix
):
    graph = world_graph(bundled_world)
    path = write_graph(graph, tmp_path / f"world{suffix}")
    back = nx.read_graphml(path) if suffix == ".graphml" else nx.read_gexf(path)
    assert set(back.nodes) == set(graph.nodes)
    assert set(back.edges) == set(graph.edges)
    for u, v, data in graph.edges(data=True):
        for layer in LAYERS:
            assert back.edges[u, v][layer] == pytest.approx(data[layer], rel=1e-12, abs=0)
    if suffix == ".graphml":  # GraphML keeps every node attribute with its type
        for node, data in graph.nodes(data=True):
            assert back.nodes[node] == data


def test_the_un193_graph_holds_every_un_member_and_its_layers():
    from sim.world.bundled import bundled_world

    world = bundled_world("un193")
    with (ROOT / "sim/data/un193/countries.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    members = {r["iso3"] for r in rows if r["un_member"] == "1"}
    assert len(members) == 193
    graph = world_graph(world)
    assert set(graph.nodes) == {r["iso3"] for r in rows} and graph.number_of_nodes() == 196
    assert members <= set(graph.nodes) and {"TWN", "XKX", "PSE"} <= set(graph.nodes)
    for layer in LAYERS:
        assert any(d[layer] > 0 for _, _, d in graph.edges(data=True)), layer
    social = nx.to_numpy_array(graph, nodelist=list(world.iso3), weight="social")
    selfw = np.array([graph.nodes[c]["social_self"] for c in world.iso3])
    np.testing.assert_allclose(social.sum(axis=1) + selfw, 1.0)
    assert all(graph.nodes[c]["name"] for c in graph.nodes)


def test_world_graph_refuses_an_unknown_layer_and_social_without_the_mix(bundled_world):
    with pytest.raises(NetworkError, match="did you mean trade"):
        world_graph(bundled_world, ["trad"])
    with pytest.raises(NetworkError, match="social layer needs"):
        bundled_world.graph(["social"])
    assert bundled_world.graph().graph["layers"] == ",".join(STRUCTURAL_LAYERS)


def test_the_model_graph_follows_ties_that_change_during_a_run(bundled_world):
    a, b = bundled_world.index("USA"), bundled_world.index("CHN")
    plan = Plan(steps=2, events=(PlannedEvent(0, Edge("add", "alliance", a, (b,))),))
    model = SoftPowerModel(bundled_world, plan, rng=0)
    before = model_graph(model)
    assert before.edges["USA", "CHN"]["alliance"] == 0.0 and before.graph["step"] == 0
    model.step()
    after = model_graph(model, ["alliance", "social"])
    assert after.graph["date"] == "2025-Q2" and after.graph["layers"] == "alliance,social"
    assert after.edges["USA", "CHN"]["alliance"] == after.edges["CHN", "USA"]["alliance"] == 1.0


def _star(leaves: int) -> np.ndarray:
    n = leaves + 1
    w = np.zeros((n, n))
    w[0, 1:] = 0.5 / leaves
    w[1:, 0] = 0.5
    w[np.arange(n), np.arange(n)] = 0.5
    return w


def test_hops_follow_who_listens_to_whom():
    chain = np.eye(5) * 0.5
    for i in range(1, 5):
        chain[i, i - 1] = 0.5  # i listens to i - 1: opinion flows down the chain
    np.testing.assert_array_equal(hops_from(chain, [0]), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(hops_from(chain, [4]), [-1, -1, -1, -1, 0])  # nobody listens
    np.testing.assert_array_equal(hops_from(_star(4), [2]), [1, 2, 0, 2, 2])


def _graph_of(w: np.ndarray) -> nx.DiGraph:
    world = World.synthetic(w.shape[0], np.random.default_rng(0))
    return world.graph(["trade", "social"], social=w)


def test_measures_put_the_hub_of_a_star_first_and_find_two_blocs():
    table = measures(_graph_of(_star(6)))
    assert table.iloc[0]["iso3"] == "N000"
    hub = table.set_index("iso3").loc["N000"]
    assert hub["betweenness"] == table["betweenness"].max() > 0
    assert hub["in_strength"] == pytest.approx(3.0)
    two = np.zeros((8, 8))
    two[:4, :4] = two[4:, 4:] = 1.0
    two[3, 4] = two[4, 3] = 0.05
    two /= two.sum(axis=1, keepdims=True)
    blocs = measures(_graph_of(two), seed=3).set_index("iso3")["bloc"]
    assert blocs.loc[["N000", "N001", "N002", "N003"]].nunique() == 1
    assert blocs.loc[["N004", "N005", "N006", "N007"]].nunique() == 1
    assert blocs.loc["N000"] != blocs.loc["N007"]
    again = measures(_graph_of(two), seed=3).set_index("iso3")["bloc"]
    assert blocs.equals(again)


def test_measures_refuse_a_layer_the_graph_lacks(bundled_world):
    with pytest.raises(NetworkError, match="no layer 'social'"):
        measures(bundled_world.graph(["trade"]))


@pytest.mark.slow  # three `softpower network` processes: about 12 s
def test_softpower_network_writes_graphml_gexf_and_measures(tmp_path):
    done = softpower("network", "--world", "core60", "--out", tmp_path / "w.graphml", "--measures")
    assert done.returncode == 0, done.stderr
    graph = nx.read_graphml(tmp_path / "w.graphml")
    assert graph.number_of_nodes() == 60
    with (tmp_path / "w_measures.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 60 and {"eigenvector", "betweenness", "bloc"} <= set(rows[0])
    assert "bloc 1 (" in done.stdout
    done = softpower(
        "network",
        "--world",
        "core60",
        "--scenario",
        "scenarios/america_first.yaml",
        "--at",
        "2026-Q1",
        "--layers",
        "trade,social",
        "--out",
        tmp_path / "w.gexf",
    )
    assert done.returncode == 0, done.stderr
    assert "at 2026-Q1" in done.stdout
    assert nx.read_gexf(tmp_path / "w.gexf").number_of_nodes() == 60


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "g.txt"], "cannot write a graph as '.txt'"),
        (["--out", "g.graphml", "--layers", "trad"], "unknown layer 'trad'"),
        (["--out", "g.graphml", "--at", "2099-Q1"], "'2099-Q1' is not a quarter of the run"),
        (["--out", "g.graphml", "--world", "core61"], "unknown world 'core61'"),
    ],
)
def test_softpower_network_refuses_bad_input_in_one_line(tmp_path, args, message):
    args = [str(tmp_path / a) if a.startswith("g.") else a for a in args]
    world = [] if "--world" in args else ["--world", "core60"]
    done = softpower("network", *world, *args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())
