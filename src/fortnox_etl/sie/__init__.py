"""SIE 4: the Swedish bookkeeping exchange format (writer, reader, and the rules a valid file obeys)."""
