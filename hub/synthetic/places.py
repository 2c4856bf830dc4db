"""Embedded places: Cornwall and Devon towns with their postcode districts, streets, teams."""

from __future__ import annotations

from typing import NamedTuple


class Town(NamedTuple):
    """A town, its postcode districts (outward codes), its weight and its probation team."""

    name: str
    districts: tuple[str, ...]
    weight: int
    team: str


TOWNS: tuple[Town, ...] = (
    Town("Truro", ("TR1", "TR2", "TR3", "TR4"), 40, "Truro and Falmouth"),
    Town("Falmouth", ("TR10", "TR11"), 25, "Truro and Falmouth"),
    Town("Redruth", ("TR15", "TR16"), 25, "Redruth and Camborne"),
    Town("Camborne", ("TR14",), 25, "Redruth and Camborne"),
    Town("Helston", ("TR13",), 12, "Penzance and West Cornwall"),
    Town("Penzance", ("TR18", "TR20"), 22, "Penzance and West Cornwall"),
    Town("St Ives", ("TR26",), 10, "Penzance and West Cornwall"),
    Town("Newquay", ("TR7", "TR8"), 22, "St Austell and Newquay"),
    Town("St Austell", ("PL25", "PL26"), 30, "St Austell and Newquay"),
    Town("Bodmin", ("PL31",), 15, "Bodmin and North Cornwall"),
    Town("Liskeard", ("PL14",), 10, "Bodmin and North Cornwall"),
    Town("Launceston", ("PL15",), 8, "Bodmin and North Cornwall"),
    Town("Saltash", ("PL12",), 14, "Plymouth North"),
    Town("Plymouth", ("PL1", "PL2", "PL3", "PL4", "PL5", "PL6", "PL7"), 230, "Plymouth Central"),
    Town("Exeter", ("EX1", "EX2", "EX4"), 120, "Exeter and East Devon"),
    Town("Exmouth", ("EX8",), 30, "Exeter and East Devon"),
    Town("Tiverton", ("EX16",), 15, "Exeter and East Devon"),
    Town("Barnstaple", ("EX31", "EX32"), 25, "North Devon"),
    Town("Bideford", ("EX39",), 12, "North Devon"),
    Town("Torquay", ("TQ1", "TQ2"), 55, "Torbay"),
    Town("Paignton", ("TQ3", "TQ4"), 40, "Torbay"),
    Town("Brixham", ("TQ5",), 14, "Torbay"),
    Town("Newton Abbot", ("TQ12",), 22, "South Devon"),
    Town("Totnes", ("TQ9",), 8, "South Devon"),
)

STREETS: tuple[str, ...] = (
    "Fore Street", "Station Road", "Church Road", "High Street", "Market Street",
    "Trelowarren Street", "Victoria Road", "Albert Road", "Park Road", "Chapel Street",
    "Mill Lane", "Trevithick Road", "Penwinnick Road", "Tregolls Road", "Clinton Road",
    "Cross Street", "Quay Street", "Harbour View", "Bodmin Road", "Mount Pleasant", "Lemon Street",
    "Kenwyn Road", "Union Road", "Trefusis Road", "Killigrew Street", "Arwenack Street",
    "Trevenson Road", "Morrab Road", "Alverton Street", "Tolver Road", "Trelawney Road",
    "Chapel Hill", "Fernlea Terrace", "Coronation Avenue", "Elm Close", "Oak Drive", "Beech Road",
    "Ash Grove", "Meadow Way", "Orchard Close", "Trewartha Road", "Polwithen Road",
    "Tresawls Avenue", "Trenance Road", "Cliff Road", "Tower Road", "Mayflower Street",
    "Union Street", "North Hill", "Mutley Plain", "Alma Road", "Embankment Road",
    "Devonport Road", "Sidwell Street", "Cowick Street", "Heavitree Road", "Pinhoe Road",
    "Topsham Road", "Alphington Road", "Babbacombe Road", "St Marychurch Road", "Newton Road",
    "Torquay Road", "Dartmouth Road", "Totnes Road", "Winner Street", "Queen Street",
    "King Street", "New Road", "School Lane", "Green Lane", "Moor View", "Castle Street",
    "Bridge Street", "West Street", "East Street", "South Street", "Wellington Road",
    "Springfield Road", "Richmond Road", "Hillside Road", "Woodland Avenue", "Priory Road",
    "Rosewarne Road", "Trevarthian Road", "Penlee Close", "Carn Brea Lane", "Boscawen Road",
    "Cardrew Way", "Higher Fore Street", "Lower Market Street",
)

HOSTEL_NAMES: tuple[str, ...] = (
    "Harbour House", "Bosvena House", "St Piran's Lodge", "FreshStart House", "Tamar Court",
    "Exe View Lodge", "Bayside Foyer", "Kernow Lodge", "Anchor House", "Lighthouse Court",
    "Moorland House", "Quayside Lodge",
)

HOSTEL_PROVIDERS: tuple[str, ...] = (
    "FreshStart", "FreshStart", "Coastline Housing", "Harbour Trust",
)

# Letters used in the inward code of a UK postcode (C I K M O V are never used there).
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
