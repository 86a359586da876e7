"""Discipline tests (党规党纪测试): tests from rules, per-candidate papers, autosave, server deadlines,
automatic grading, manual grading of short answers, results per unit (CONTRACT §5).

Modules: ``models`` (tables), ``schemas`` (request bodies, test JSON), ``service`` (tests, papers,
autosave, submit, deadline sweep), ``grading`` (one paper item), ``views`` (attempt JSON),
``marking`` (short-answer grading), ``results`` (results, progress, statistics, exports),
``api`` (routes, pages, the sweeper), ``demo`` (the demo test).
"""
