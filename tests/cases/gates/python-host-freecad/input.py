# FreeCAD macro
doc = App.newDocument('x')
FreeCAD.Console.PrintMessage(doc.Name)
Gui.SendMsgToActiveView('ViewFit')
