"""What one retention run removed (or, in a dry run, would remove)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Removal:
    """One class of data removed under one rule, for one case or for the whole instance."""

    data_class: str
    rule: str
    count: int
    case: str | None = None  # the case's tracking number

    def line(self, dry_run: bool) -> str:
        verb = "would purge" if dry_run else "purged"
        where = f"case {self.case}" if self.case else "instance"
        return f"{verb} {self.data_class} ({self.count}) of {where} under {self.rule}"


@dataclass
class RetentionReport:
    """Every removal of one run, in the order made."""

    dry_run: bool
    removals: list[Removal] = field(default_factory=list)
    kept_on_hold: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, removal: Removal) -> None:
        if removal.count:
            self.removals.append(removal)

    def lines(self) -> list[str]:
        """Say what went (or would go), one line each, then what was kept and why."""
        lines = [removal.line(self.dry_run) for removal in self.removals]
        if not lines:
            lines.append("nothing is due" if self.dry_run else "nothing was due")
        if self.kept_on_hold:
            lines.append(f"kept {self.kept_on_hold} case(s) on legal hold that the schedule would otherwise purge")
        return lines + self.notes
