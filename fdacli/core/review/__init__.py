"""The human step of the paper (§3.2): annotators correct drafts on a Label Studio server, a reviewer consolidates.

labelstudio (the REST calls), labeling (configs and results), drafts (a draft as the three parts), clips (clips a
browser plays), tasks (what the editor shows), push (projects, media, chunked imports, files without the API),
inputs (what a push reads, as clips), versions and agreement (what annotators wrote and how far they agree),
consolidation (the reviewer's decisions as annotations).
"""
