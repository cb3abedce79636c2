#!/usr/bin/env python3
"""Prints pdd's module dependency graph (top-level modules of src/, from `crate::` paths outside
test code) and every pair of modules that depend on each other (a back-edge).

usage: python3 scripts/module-graph.py [src]
See docs/architecture.md for the intended direction and what remains.
"""
import re,os,sys,collections
src=sys.argv[1] if len(sys.argv)>1 else 'src'
edges=collections.defaultdict(set)
mods=[d[:-3] if d.endswith('.rs') else d for d in os.listdir(src) if d not in('lib.rs','bin')]
for root,_,files in os.walk(src):
    for f in files:
        if not f.endswith('.rs'): continue
        p=os.path.join(root,f); rel=os.path.relpath(p,src)
        top=rel.split('/')[0]; top=top[:-3] if top.endswith('.rs') else top
        if top in ('lib','bin'): continue
        if f=='tests.rs': continue
        text=open(p).read()
        i=text.find('#[cfg(test)]')
        if i>=0: text=text[:i]
        # strip comments
        text=re.sub(r'//[^\n]*','',text)
        for m in re.finditer(r'crate::(\w+)',text):
            if m.group(1)!=top: edges[top].add(m.group(1))
        for m in re.finditer(r'use crate::\{([^}]*)\}',text):
            for part in re.findall(r'(\w+)::',m.group(1)):
                if part!=top: edges[top].add(part)
for k in sorted(edges): print(k,'->',' '.join(sorted(edges[k])))
# cycles
def reach(a):
    seen=set();st=[a]
    while st:
        x=st.pop()
        for y in edges.get(x,()):
            if y not in seen: seen.add(y);st.append(y)
    return seen
print("cycles:")
for a in sorted(edges):
    for b in sorted(edges[a]):
        if a in reach(b): print(" ",a,"->",b,"(and back)")
