import os


class Paths:

# nothing here yet
def main():
    return os.getcwd()
