"""Studies: one module per study (config, plan, analysis, report), registered by name.

``get_study(name)`` and ``all_studies()`` find them; the CLI builds one command per study.
"""

from memspice.studies.base import Job, Study, all_studies, get_study, register_study

__all__ = ["Job", "Study", "all_studies", "get_study", "register_study"]
