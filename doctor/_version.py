__version__ = "0.1.0"
PROG_NAME = "memorysync-doctor"
