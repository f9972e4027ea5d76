# top
def f(a):
  # odd column before the first statement
    if a:
# column 0 in a block
        return 1
            # deep comment
      # between levels
    
	
    return 2  # done
        # trailing
