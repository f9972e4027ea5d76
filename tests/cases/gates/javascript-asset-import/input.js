// importing a stylesheet defines no names: the file is judged
import "./style.css";
import React from "react";
export function f() { return [React, missingName]; }
