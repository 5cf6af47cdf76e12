"""Which problem types an operation can answer with, read from the code: every `raise` of a `Problem`
in its endpoint, its dependencies and the project functions they call, transitively.

A static reading, so it over-approximates (a helper's every problem counts for each operation that calls
it) and misses what it cannot name (a problem built by a method on a value, `raise refusal.problem()`).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import textwrap
import types
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.kernel.problems import Problem

_PROJECT = ("services.", "gateway.")


def problems_of(route: APIRoute) -> set[type[Problem]]:
    found: set[type[Problem]] = set()
    seen: set[Any] = set()
    for function in _calls(route.dependant):
        _walk(function, found, seen)
    return found


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for dependency in dependant.dependencies:
        yield from _calls(dependency)


def _function(value: Any) -> Any:
    """The project function behind a value: a function, a bound method, or an object's `__call__`."""
    value = inspect.unwrap(value) if callable(value) else value
    if isinstance(value, types.MethodType):
        value = value.__func__
    if not inspect.isfunction(value) and callable(value) and not inspect.isclass(value):
        value = type(value).__call__
    if inspect.isfunction(value) and value.__module__.startswith(_PROJECT):
        return value
    return None


def _resolve(node: ast.expr, scope: dict[str, Any]) -> Any:
    """What a name or a dotted attribute refers to in the function's module, if it can be named."""
    if isinstance(node, ast.Name):
        return scope.get(node.id, getattr(builtins, node.id, None))
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, scope)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _walk(value: Any, found: set[type[Problem]], seen: set[Any]) -> None:
    function = _function(value)
    if function is None or function in seen:
        return
    seen.add(function)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return
    scope = {**function.__globals__, **(inspect.getclosurevars(function).nonlocals)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            raised = _resolve(target, scope)
            if inspect.isclass(raised) and issubclass(raised, Problem):
                found.add(raised)
        elif isinstance(node, ast.Call):
            _walk(_resolve(node.func, scope), found, seen)
