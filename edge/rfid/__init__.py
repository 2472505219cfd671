"""RFID ingestion: LLRP reader client on sllurp, LLRP reader emulator, manual entry."""
