"""The households domain (一户一档).

- :mod:`.roster_parse`: reading and checking a roster file (no database);
- :mod:`.roster_import`: the one-transaction import of a checked roster;
- :mod:`.roster_upload`: what the import page calls (columns, preview, run, rejections);
- :mod:`.review`: the 待核实 queue, handovers, and accepting a place;
- :mod:`.files`: a cell's households, the 一户一档 file, the 一类一卷 rolls;
- :mod:`.visits`: visit records and the visiting staff.
"""
