"""What the API schema says beyond drf-spectacular's defaults: the error answers.

drf-spectacular documents the success of each operation. The API also answers, by
rule and for every view alike:
- 400 with the fields' messages when a body or a query parameter is not valid;
- 401 or 403 (with `detail`) to a caller without credentials or rights;
- 404 (with `detail`) for an object the caller cannot see, or a page past the end;
- 415 for a body in a format the operation does not read.
This hook writes those answers into every operation that can give them, so a client
(and the API fuzzer, tests/core/test_api_fuzz.py) can rely on the schema. Answers
particular to one operation (409 for a contact that offers still name) are declared
on the view with `extend_schema`.
"""

from core.dates import EARLIEST, LATEST

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "What went wrong, in the caller's language.",
}
VALIDATION_ERROR = {
    "type": "object",
    "description": "A message list per field that is not valid (`non_field_errors` "
    "for the whole request), or `detail` when the body could not be read.",
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "string"},
            {"type": "object"},
        ]
    },
}
COMPONENTS = {"Error": ERROR, "ValidationError": VALIDATION_ERROR}


def _answer(description: str, component: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {"$ref": f"#/components/schemas/{component}"}
            }
        },
    }


ANSWERS = {
    "400": _answer("The request is not valid; nothing was changed.", "ValidationError"),
    "401": _answer("No valid credentials (a token or a session).", "Error"),
    "403": _answer("Signed in, but not allowed to do this.", "Error"),
    "404": _answer("No such object among those the caller may see.", "Error"),
    "415": _answer("The body is in a format this operation does not read.", "Error"),
}
METHODS = {"get", "put", "post", "patch", "delete"}
# what core.drf's date fields take (EARLIEST–LATEST), as a pattern JSON Schema
# can check and a generator can follow: derived from the same two dates
YEARS = "(" + "|".join(str(y) for y in range(EARLIEST.year, LATEST.year + 1)) + ")"
DATE_PATTERNS = {
    "date": rf"^{YEARS}-\d\d-\d\d$",
    "date-time": rf"^{YEARS}-\d\d-\d\dT",
}
DATE_RANGE = f"Between {EARLIEST.isoformat()} and {LATEST.isoformat()}."


def _bound_dates(schemas: dict) -> None:
    """Request bodies state the dates' range (responses show what is stored)."""
    for name, component in schemas.items():
        if not name.endswith("Request"):
            continue
        for field in component.get("properties", {}).values():
            pattern = DATE_PATTERNS.get(field.get("format"))
            if pattern and not field.get("readOnly"):
                field.setdefault("pattern", pattern)
                said = field.get("description", "")
                field["description"] = f"{said} {DATE_RANGE}".strip()


FIRST = "$response.body#/results/0"
# How a client goes from a list to a write that needs an id from it (OpenAPI links:
# the stateful fuzzer follows them, and so can a generated client). Each entry:
# (operation whose 200 answer has the ids, link name, target, request body).
LINKS = [
    ("v1_accounts_list", "NewContact", "v1_contacts_create",
     {"account": f"{FIRST}/id", "last_name": "Meier"}),
    ("v1_accounts_list", "NewTask", "v1_tasks_create",
     {"account": f"{FIRST}/id", "title": "Call back",
      "due_at": "2030-01-15T09:00:00Z"}),
    ("v1_contacts_list", "NewOffer", "v1_offers_create",
     {"account": f"{FIRST}/account", "contact": f"{FIRST}/id", "title": "Seats",
      "valid_until": "2030-01-31"}),
    ("v1_contacts_list", "Colleague", "v1_contacts_create",
     {"account": f"{FIRST}/account", "reports_to": f"{FIRST}/id", "last_name": "Roth"}),
]  # fmt: skip


def _link(operations: dict) -> None:
    for source, name, target, body in LINKS:
        if source in operations and target in operations:
            answer = operations[source]["responses"].get("200")
            if answer is not None:
                answer.setdefault("links", {})[name] = {
                    "operationId": target,
                    "requestBody": body,
                }


def document_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in COMPONENTS.items():
        schemas.setdefault(name, schema)
    _bound_dates(schemas)
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            parameters = operation.get("parameters", [])
            in_path = any(p.get("in") == "path" for p in parameters)
            in_query = any(p.get("in") == "query" for p in parameters)
            paged = any(p.get("name") == "page" for p in parameters)
            body = "requestBody" in operation
            codes = ["401", "403"]
            if body or in_query:
                codes.append("400")
            if in_path or paged:
                codes.append("404")
            if body:
                codes.append("415")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, ANSWERS[code])
    _link(
        {
            operation["operationId"]: operation
            for item in result.get("paths", {}).values()
            for method, operation in item.items()
            if method in METHODS and "operationId" in operation
        }
    )
    return result
