"""A build step that cooks audio cues and fails on a missing one (corpus sample)."""
import json


def load_cues(manifest):
    return json.loads(manifest)["cues"]


def cook(cue, bank):
    if cue not in bank:
        raise RuntimeError(f"Missing audio cue {cue}")
    return bank[cue]


def main():
    cues = load_cues('{"cues": ["UI_Click_03"]}')
    bank = {"UI_Click_01": b"..."}
    for cue in cues:
        cook(cue, bank)


if __name__ == "__main__":
    main()
