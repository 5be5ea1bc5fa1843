"""Generated people are seeded: the same in every run, so a failure can be replayed."""

from __future__ import annotations

from deputies.testing import bodies


def test_generated_people_are_the_same_in_every_run() -> None:
    bodies.reseed()
    first = [(bodies.id_number(), bodies.deputy("990101001")["name"]) for _ in range(3)]
    bodies.reseed()
    assert [(bodies.id_number(), bodies.deputy("990101001")["name"]) for _ in range(3)] == first
    assert len({number for number, _ in first}) == 3
