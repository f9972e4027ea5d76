#!/usr/bin/env python
# coding: utf-8

# In[1]:


import math
display(math.pi)
