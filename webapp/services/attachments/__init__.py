"""Files that go with emails: on template versions (uploaded in the studio) and on API sends.

``checks`` says what may be attached, ``storage`` keeps the bytes once per content,
``templates`` changes a template's files (a new version each time), and ``loading`` finds the
files of a batch of messages for the sending pipeline. Import the submodule you need.
"""
