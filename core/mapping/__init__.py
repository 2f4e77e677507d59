"""Field-mapping configs: load, check and run the YAML files under ``mappings/``.

    mapping = load_mapping("mappings/salesforce_contracts.yaml")   # MappingError
    problems = check_mapping(mapping, connector.describe("Contract"), CONTRACT_FIELDS)
    mapping = resolve_mapping(mapping, spec)                        # labels -> ids
    local = to_local(mapping, record.fields, ctx)                   # FieldValueError
    remote = to_remote(mapping, local_values, ctx)

Every ``Problem`` reads ``FILE:LINE:COLUMN: field.path: what is wrong (what
would be right)``.
"""

from core.mapping.apply import to_local, to_remote
from core.mapping.conversions import TransformError
from core.mapping.loader import load_mapping, load_mapping_text
from core.mapping.model import FieldMap, Mapping, Transform
from core.mapping.problems import FieldValueError, MappingError, Problem
from core.mapping.schema import mapping_schema
from core.mapping.transforms import TRANSFORMS, MappingContext, TransformKind
from core.mapping.validate import (
    AmbiguousName,
    check_mapping,
    resolve_mapping,
    resolve_remote_name,
    structure_problems,
)

__all__ = [
    "AmbiguousName",
    "FieldMap",
    "FieldValueError",
    "Mapping",
    "MappingContext",
    "MappingError",
    "Problem",
    "TRANSFORMS",
    "Transform",
    "TransformError",
    "TransformKind",
    "check_mapping",
    "load_mapping",
    "load_mapping_text",
    "mapping_schema",
    "resolve_mapping",
    "resolve_remote_name",
    "structure_problems",
    "to_local",
    "to_remote",
]
