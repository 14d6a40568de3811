"""The site's speed and scale benchmark (`python benchmarks/run.py`, see benchmarks/README.md).

    tools.py      paths, constants, git without the user's configuration, the tools it needs
    data.py       the deployments it measures: a generated 5,000-commitment plan, comments, history
    servers.py    gunicorn servers in their own process groups, wrk loads in interleaved rounds
    scenarios.py  what is measured, in which order (pages under load, in process, history)
    probes/       the code run in fresh interpreters (a page, a cold history, a warm history, GET /)
    report.py     the table: each figure against its baseline, with its target
"""
