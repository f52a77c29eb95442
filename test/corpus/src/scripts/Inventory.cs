using System;
using System.Collections.Generic;

public class Inventory
{
    private List<string> items = new List<string>();
    private int capacity;

    public void Add(string item)
    {
        int count = 0;
        if (items.Count >= capacity)
            return;
        items.Add(item);
        Console.WriteLine(itemCount);
    }

    public bool Remove(string item)
    {
        try { return items.Remove(item); }
        catch (Exception e) { return false; }
    }
}
