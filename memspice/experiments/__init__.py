"""End-to-end studies: a config dataclass, a function returning results, a report writer."""
