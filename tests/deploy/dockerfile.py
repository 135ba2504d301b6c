"""A small reader of the Dockerfile and .dockerignore, for the tests (there is no Docker engine here)."""

from __future__ import annotations

import fnmatch
import json
import shlex
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its arguments, continuation lines joined."""

    keyword: str
    arguments: str

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK, if it is one."""
        text = self.arguments.split(" CMD ", 1)[-1] if self.keyword == "HEALTHCHECK" else self.arguments
        try:
            value = json.loads(text.strip())
        except ValueError:
            return None
        return value if isinstance(value, list) else None


def read_dockerfile(path: Path = REPO / "back" / "Dockerfile") -> list[Instruction]:
    """The instructions of a Dockerfile, comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, arguments = line.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
    return instructions


@dataclass(frozen=True)
class Stage:
    """One build stage: its base image, its name (``FROM base AS name``) and its instructions after the FROM."""

    base: str
    name: str | None
    instructions: list[Instruction]


def stages(instructions: list[Instruction]) -> list[Stage]:
    """The build stages, in order; the last one is the image."""
    found: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            found.append(Stage(words[0], name, []))
        elif found:
            found[-1].instructions.append(instruction)
    return found


def final_stage(instructions: list[Instruction]) -> list[Instruction]:
    """The image's own stage: its FROM, then its instructions."""
    start = max(n for n, i in enumerate(instructions) if i.keyword == "FROM")
    return instructions[start:]


def _copy_parts(instruction: Instruction) -> tuple[str | None, list[str], str]:
    """A COPY's ``--from`` stage (None: the build context), its sources and its destination."""
    words = shlex.split(instruction.arguments)
    stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
    *sources, destination = [w for w in words if not w.startswith("--")]
    return stage, sources, destination


def copy_sources(instructions: list[Instruction]) -> list[tuple[str, str]]:
    """(source, destination) of every COPY from the build context (not from another stage)."""
    pairs = []
    for instruction in instructions:
        if instruction.keyword == "COPY":
            stage, sources, destination = _copy_parts(instruction)
            if stage is None:
                pairs += [(source, destination) for source in sources]
    return pairs


def stage_copies(instructions: list[Instruction]) -> list[tuple[str, str, str]]:
    """(stage, source, destination) of every ``COPY --from=stage``: paths inside that stage and this one."""
    triples = []
    for instruction in instructions:
        if instruction.keyword == "COPY":
            stage, sources, destination = _copy_parts(instruction)
            if stage is not None:
                triples += [(stage, source, destination) for source in sources]
    return triples


def run_commands(instructions: list[Instruction]) -> list[list[str]]:
    """Every command of the RUN instructions, in order, as argument lists."""
    return [shlex.split(part) for i in instructions if i.keyword == "RUN" for part in i.arguments.split("&&")]


def pip_commands(instructions: list[Instruction]) -> list[list[str]]:
    """Every ``pip install`` of the RUN lines, as argument lists."""
    commands = []
    for instruction in instructions:
        if instruction.keyword != "RUN":
            continue
        for part in instruction.arguments.split("&&"):
            words = shlex.split(part)
            if words[:2] == ["pip", "install"]:
                commands.append(words[2:])
    return commands


def dependency_steps(instructions: list[Instruction]) -> list[list[str]]:
    """Every command, in order, of the RUN instructions that install dependencies (those with a ``pip install``)."""
    steps = []
    for instruction in instructions:
        if instruction.keyword == "RUN" and "pip install" in instruction.arguments:
            steps += [shlex.split(part) for part in instruction.arguments.split("&&")]
    return steps


def dockerignore_excludes(relative: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps ``relative`` out of the context (last matching rule wins)."""
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern[1:] if negate else pattern
        if _matches(relative, glob):
            excluded = not negate
    return excluded


def read_dockerignore(path: Path = REPO / ".dockerignore") -> list[str]:
    """The patterns of a .dockerignore file."""
    return [line.strip() for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _matches(relative: str, glob: str) -> bool:
    glob = glob.rstrip("/")
    if glob == "**":
        return True
    if glob.startswith("**/"):
        tail = glob[3:]
        parts = relative.split("/")
        return any(fnmatch.fnmatchcase("/".join(parts[i:]), tail) or fnmatch.fnmatchcase(p, tail)
                   for i, p in enumerate(parts))
    if glob.endswith("/**"):
        return relative.startswith(glob[:-3] + "/")
    return fnmatch.fnmatchcase(relative, glob) or relative.startswith(glob + "/")
